#!/usr/bin/env python3
"""Generate the demo shop's catalog: www/assets/catalog.json.

Deterministic for a seed (Python 3 standard library only). A few hundred
products across six departments (running, outdoor, beauty, kitchen, books,
electronics), each with a realistic name, brand, category path
("Sports > Running > Shoes"), price, rating, review count, stock, tags and a
drawing recipe (`image` = shape name, `color`) that the page renders as an
inline SVG — no external images, no hot-links.

One product is deliberately named like an XSS payload
(`<img src=x onerror=alert(1)>`): the shop must show it as text.

Usage:
    python3 tools/gen_catalog.py [--seed 7] [--per-subcategory 8] [--out www/assets/catalog.json]

The output fields match localrec's `CatalogItem` (id, title, category, brand,
price, tags, inStock, rating, attributes, image); the extra fields
(department, subcategory, color, stock, reviews, description) are the shop's own.
"""

import argparse
import json
import random
import sys
from pathlib import Path

# department key -> (display name, category root, {subcategory: spec})
# spec: (shape, price range, brands, name patterns, tags)
# Name patterns use {m} for a model name and {v} for a variant.
DEPARTMENTS = {
    "running": ("Running", "Sports > Running", {
        "Shoes": ("shoe", (59, 189), ["Stridewell", "Pacer Labs", "Northtrail", "Kinetic"],
                  ["{m} Road Running Shoe", "{m} Trail Running Shoe", "{m} Racing Flat", "{m} Cushioned Trainer"],
                  ["running", "shoes", "road", "trail", "cushioned"]),
        "Apparel": ("shirt", (19, 99), ["Stridewell", "Pacer Labs", "Airloom"],
                    ["{m} Tech Running Tee", "{m} Running Shorts 5\"", "{m} Thermal Half-Zip", "{m} Windproof Running Jacket"],
                    ["running", "apparel", "breathable", "reflective"]),
        "Accessories": ("watch", (9, 249), ["Kinetic", "Pacer Labs", "Tempo Gear"],
                        ["{m} GPS Running Watch", "{m} Hydration Belt", "{m} Merino Running Socks (3 pack)", "{m} Reflective Armband"],
                        ["running", "accessories", "gps", "hydration"]),
        "Nutrition": ("bottle", (4, 39), ["FuelUp", "Tempo Gear"],
                      ["{m} Energy Gel (12 pack)", "{m} Electrolyte Tabs", "{m} Recovery Shake", "{m} Oat Energy Bar (box of 10)"],
                      ["running", "nutrition", "energy", "vegan"]),
    }),
    "outdoor": ("Outdoor", "Sports > Outdoor", {
        "Tents": ("tent", (89, 499), ["Ridgeback", "Alpenglow", "Basecamp Co."],
                  ["{m} 2-Person Backpacking Tent", "{m} 4-Person Family Tent", "{m} Ultralight Tarp Shelter"],
                  ["camping", "tent", "waterproof", "lightweight"]),
        "Backpacks": ("backpack", (39, 279), ["Ridgeback", "Trailhaus", "Alpenglow"],
                      ["{m} 45L Trekking Pack", "{m} 22L Daypack", "{m} 65L Expedition Pack"],
                      ["hiking", "backpack", "trekking"]),
        "Sleeping Bags": ("bag", (49, 349), ["Alpenglow", "Basecamp Co."],
                          ["{m} -5°C Down Sleeping Bag", "{m} Summer Sleeping Bag", "{m} Self-Inflating Mat"],
                          ["camping", "sleeping", "down", "warm"]),
        "Lighting": ("lamp", (14, 89), ["Luma", "Ridgeback"],
                     ["{m} 400-Lumen Headlamp", "{m} Rechargeable Lantern", "{m} Solar Camp Light"],
                     ["camping", "lighting", "rechargeable", "usb-c"]),
        "Camp Kitchen": ("pan", (12, 149), ["Basecamp Co.", "Trailhaus"],
                         ["{m} Titanium Cook Pot", "{m} Canister Stove", "{m} Insulated Camp Mug"],
                         ["camping", "cooking", "titanium"]),
    }),
    "beauty": ("Beauty", "Beauty", {
        "Skin Care > Serums": ("dropper", (14, 79), ["Maison Lys", "Dewkind", "Botanica Nord"],
                               ["{m} Vitamin C Serum 30ml", "{m} Hyaluronic Acid Serum", "{m} Niacinamide 10% Serum", "{m} Retinol Night Serum"],
                               ["skincare", "serum", "vegan", "fragrance-free"]),
        "Skin Care > Moisturisers": ("jar", (12, 69), ["Dewkind", "Maison Lys", "Pure Theory"],
                                     ["{m} Daily Moisturiser SPF 30", "{m} Rich Night Cream", "{m} Gel Cream for Oily Skin"],
                                     ["skincare", "moisturiser", "spf", "sensitive-skin"]),
        "Skin Care > Cleansers": ("tube", (8, 34), ["Pure Theory", "Botanica Nord"],
                                  ["{m} Gentle Foaming Cleanser", "{m} Cleansing Balm", "{m} Exfoliating Toner"],
                                  ["skincare", "cleanser", "gentle"]),
        "Makeup": ("lipstick", (9, 49), ["Velvet & Co.", "Maison Lys"],
                   ["{m} Satin Lipstick — {v}", "{m} Longwear Mascara", "{m} Skin Tint Foundation — {v}", "{m} Cream Blush — {v}"],
                   ["makeup", "long-lasting", "cruelty-free"]),
        "Hair Care": ("bottle", (7, 45), ["Botanica Nord", "Salon Verde"],
                      ["{m} Repair Shampoo", "{m} Hydrating Conditioner", "{m} Argan Hair Oil", "{m} Curl Defining Cream"],
                      ["haircare", "sulfate-free", "argan"]),
    }),
    "kitchen": ("Kitchen", "Home > Kitchen", {
        "Cookware": ("pan", (24, 229), ["Ironhold", "Copperleaf", "Maison Cuisine"],
                     ["{m} 28cm Cast Iron Skillet", "{m} Non-Stick Frying Pan", "{m} 5L Dutch Oven — {v}", "{m} Stainless Saucepan Set"],
                     ["cookware", "oven-safe", "induction"]),
        "Knives": ("knife", (19, 199), ["Kenzo Blades", "Ironhold"],
                   ["{m} 20cm Chef's Knife", "{m} Santoku Knife", "{m} Paring Knife Set", "{m} Whetstone 1000/6000"],
                   ["knives", "steel", "japanese"]),
        "Coffee": ("mug", (9, 349), ["Brewhaus", "Crema & Co."],
                   ["{m} Burr Coffee Grinder", "{m} Pour-Over Kettle", "{m} Espresso Machine", "{m} Single-Origin Beans 1kg"],
                   ["coffee", "barista", "brewing"]),
        "Small Appliances": ("box", (29, 399), ["Maison Cuisine", "Whirlton"],
                             ["{m} Stand Mixer — {v}", "{m} High-Speed Blender", "{m} Air Fryer 5.5L", "{m} Digital Kitchen Scale"],
                             ["appliance", "electric", "baking"]),
        "Prep & Storage": ("board", (6, 59), ["Copperleaf", "Maison Cuisine"],
                           ["{m} Walnut Cutting Board", "{m} Glass Storage Set (10)", "{m} Silicone Baking Mats"],
                           ["kitchen", "prep", "storage"]),
    }),
    "books": ("Books", "Books", {
        "Fiction": ("book", (8, 24), ["Harbor House", "Quill & Ink"],
                    ["The {m}", "{m}: A Novel", "Letters from {m}"],
                    ["books", "fiction", "novel"]),
        "Cookbooks": ("book", (15, 39), ["Harbor House", "Tablespoon Press"],
                      ["{m}: Weeknight Dinners", "The {m} Baking Book", "Salt, Fire & {m}"],
                      ["books", "cooking", "recipes"]),
        "Sports & Fitness": ("book", (12, 29), ["Tablespoon Press", "Quill & Ink"],
                             ["Run {m}: Training Plans for Every Distance", "The {m} Marathon Method", "Trail Running {m}"],
                             ["books", "running", "fitness"]),
        "Travel & Outdoors": ("book", (12, 34), ["Harbor House", "Compass Books"],
                              ["Walking {m}", "The {m} Hiking Guide", "Wild Camping in {m}"],
                              ["books", "travel", "hiking"]),
        "Science": ("book", (11, 32), ["Compass Books", "Quill & Ink"],
                    ["The {m} Problem", "A Short History of {m}", "{m}: How Things Work"],
                    ["books", "science", "non-fiction"]),
    }),
    "electronics": ("Electronics", "Electronics", {
        "Audio > Headphones": ("headphones", (29, 349), ["Sonora", "Auralis", "Beatline"],
                               ["{m} Noise-Cancelling Headphones", "{m} Wireless Earbuds", "{m} Sport Earbuds"],
                               ["audio", "wireless", "bluetooth", "anc"]),
        "Audio > Speakers": ("speaker", (39, 299), ["Sonora", "Auralis"],
                             ["{m} Portable Bluetooth Speaker", "{m} Smart Speaker", "{m} Bookshelf Speakers (pair)"],
                             ["audio", "speaker", "bluetooth"]),
        "Wearables": ("watch", (49, 399), ["Pulsetech", "Kinetic"],
                      ["{m} Fitness Tracker", "{m} Smartwatch 44mm", "{m} Heart-Rate Chest Strap"],
                      ["wearable", "fitness", "gps"]),
        "Computer Accessories": ("keyboard", (15, 189), ["Keyforge", "Pulsetech"],
                                 ["{m} Mechanical Keyboard", "{m} Wireless Mouse", "{m} USB-C Hub 7-in-1", "{m} 27\" Monitor Arm"],
                                 ["computer", "usb-c", "ergonomic"]),
        "Cameras": ("camera", (19, 899), ["Lumix Nova", "Opticraft"],
                    ["{m} Mirrorless Camera Body", "{m} 64GB SD Card", "{m} Travel Tripod", "{m} Action Camera 4K"],
                    ["camera", "photo", "4k"]),
    }),
}

MODEL_WORDS = [
    "Aero", "Apex", "Boreal", "Cascade", "Cirrus", "Cobalt", "Comet", "Drift", "Ember", "Fjord", "Flux", "Glide",
    "Granite", "Halo", "Harbor", "Horizon", "Juniper", "Kestrel", "Lumen", "Meridian", "Mistral", "Nimbus", "Nova",
    "Onyx", "Orbit", "Pioneer", "Quartz", "Rally", "Sable", "Sierra", "Solstice", "Summit", "Tempo", "Terra", "Tidal",
    "Vantage", "Vela", "Vertex", "Willow", "Zephyr",
]
BOOK_WORDS = [
    "Lighthouse Keeper", "Salt Road", "Winter Orchard", "Glass Harbour", "Lantern Year", "Northern Sea", "Quiet Hours",
    "Paper Moon", "Copper Valley", "Long Summer", "Highlands", "Lake District", "Fjordland", "Tidewater", "Ember",
    "Stardust", "Entropy", "Tides", "Everything", "Small Things", "Half Marathon", "Faster", "Strong",
]
VARIANTS = ["Rosewood", "Coral", "Sand", "Midnight", "Sage", "Ruby", "Ivory", "Slate", "Mocha", "Berry"]
COLORS = ["#1f6f8b", "#99a8b2", "#e6a157", "#d1495b", "#66a182", "#2e4057", "#8d6a9f", "#c9a227", "#3c6e71",
          "#b5651d", "#5b8e7d", "#a23b72", "#4062bb", "#59344f", "#f18f01", "#2a9d8f"]

DESCRIPTIONS = {
    "running": "Built for runners who log real miles: tested on road and trail.",
    "outdoor": "Made for nights under the stars and long days on the trail.",
    "beauty": "Dermatologist-tested, suitable for daily use.",
    "kitchen": "A kitchen workhorse that earns its place on the counter.",
    "books": "A reader favourite, printed on FSC-certified paper.",
    "electronics": "Two-year warranty, USB-C charging where it applies.",
}

XSS_TITLE = "<img src=x onerror=alert(1)>"

# Price ranges for product kinds whose price differs from the rest of their subcategory.
PRICE_OVERRIDES = {
    "GPS Running Watch": (149, 449), "Hydration Belt": (19, 39), "Running Socks": (12, 24), "Armband": (8, 16),
    "Energy Gel": (14, 24), "Electrolyte": (6, 12), "Oat Energy Bar": (12, 19), "Recovery Shake": (24, 39),
    "Tech Running Tee": (19, 45), "Running Shorts": (22, 49), "Half-Zip": (45, 79), "Jacket": (69, 139),
    "Racing Flat": (99, 189), "Ultralight Tarp": (79, 159), "Self-Inflating Mat": (39, 99),
    "Cook Pot": (29, 59), "Canister Stove": (35, 89), "Camp Mug": (12, 29),
    "Mascara": (9, 29), "Lipstick": (12, 34),
    "Paring Knife": (19, 49), "Whetstone": (29, 69), "Coffee Grinder": (79, 249), "Pour-Over Kettle": (29, 89),
    "Espresso Machine": (199, 699), "Beans 1kg": (19, 39), "Stand Mixer": (199, 499), "Kitchen Scale": (15, 39),
    "Air Fryer": (79, 179), "Blender": (59, 249),
    "Sport Earbuds": (29, 99), "Wireless Earbuds": (49, 249), "Noise-Cancelling": (149, 399),
    "Smart Speaker": (49, 199), "Fitness Tracker": (39, 129), "Smartwatch": (179, 449), "Chest Strap": (39, 89),
    "Mechanical Keyboard": (69, 189), "Wireless Mouse": (19, 89), "USB-C Hub": (25, 79), "Monitor Arm": (39, 129),
    "Camera Body": (549, 1499), "SD Card": (12, 29), "Tripod": (39, 149), "Action Camera": (149, 399),
}


def price_range(pattern, default):
    for key, rng_ in PRICE_OVERRIDES.items():
        if key in pattern:
            return rng_
    return default


def price_in(rng, lo, hi):
    """A shop-like price: whole number plus .99/.95/.00 endings."""
    whole = rng.randint(lo, hi)
    return round(whole + rng.choice([0.99, 0.95, 0.0, 0.49]), 2)


def make_items(seed, per_subcategory):
    rng = random.Random(seed)
    items = []
    used_titles = set()
    for dept_key, (dept_name, root, subcats) in DEPARTMENTS.items():
        counter = 0
        for sub, (shape, (lo, hi), brands, patterns, tags) in subcats.items():
            words = BOOK_WORDS if dept_key == "books" else MODEL_WORDS
            made = 0
            attempts = 0
            while made < per_subcategory and attempts < per_subcategory * 50:
                attempts += 1
                pattern = rng.choice(patterns)
                model = rng.choice(words)
                if dept_key != "books" and rng.random() < 0.5:
                    model = f"{model} {rng.randint(2, 9)}"
                title = pattern.format(m=model, v=rng.choice(VARIANTS))
                brand = rng.choice(brands)
                if dept_key != "books":
                    title = f"{brand} {title}"
                if title in used_titles:
                    continue
                used_titles.add(title)
                counter += 1
                made += 1
                stock = 0 if rng.random() < 0.08 else rng.randint(1, 60)
                item_tags = sorted(set(rng.sample(tags, k=min(len(tags), rng.randint(2, 3))) + [tags[0]]))
                items.append({
                    "id": f"{dept_key[:3]}-{counter:03d}",
                    "title": title,
                    "brand": brand,
                    "category": f"{root} > {sub}",
                    "department": dept_key,
                    "subcategory": sub.split(" > ")[-1],
                    "price": price_in(rng, *price_range(pattern, (lo, hi))),
                    "rating": round(rng.triangular(3.1, 5.0, 4.4), 1),
                    "reviews": int(rng.paretovariate(1.3) * 8),
                    "stock": stock,
                    "inStock": stock > 0,
                    "tags": item_tags,
                    "image": shape,
                    "color": rng.choice(COLORS),
                    "description": DESCRIPTIONS[dept_key],
                    "attributes": {},
                })
    # The escaping test: a product whose name, brand and tag look like markup.
    items.append({
        "id": "boo-xss",
        "title": XSS_TITLE,
        "brand": "<b>Injected</b> & Sons",
        "category": "Books > Fiction",
        "department": "books",
        "subcategory": "Fiction",
        "price": 9.99,
        "rating": 3.9,
        "reviews": 12,
        "stock": 5,
        "inStock": True,
        "tags": ["books", "fiction", "<script>alert(2)</script>"],
        "image": "book",
        "color": "#59344f",
        "description": "A test of escaping: this title must appear as literal text, \"quotes\" and <tags> included.",
        "attributes": {},
    })
    return items


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-subcategory", type=int, default=10)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "www" / "assets" / "catalog.json"))
    args = parser.parse_args(argv)
    if args.per_subcategory < 1:
        parser.error("--per-subcategory must be at least 1")
    items = make_items(args.seed, args.per_subcategory)
    departments = [{"key": k, "name": v[0], "category": v[1]} for k, v in DEPARTMENTS.items()]
    out = {"version": 1, "seed": args.seed, "departments": departments, "items": items}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        # One product per line: compact to download, readable in a diff.
        head = {k: v for k, v in out.items() if k != "items"}
        f.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "items": [\n')
        f.write(",\n".join(json.dumps(it, ensure_ascii=False, separators=(",", ":")) for it in items))
        f.write("\n]}\n")
    print(f"gen_catalog: {len(items)} products in {len(departments)} departments -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
