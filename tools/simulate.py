#!/usr/bin/env python3
"""Simulated shoppers for the demo shop: the training data of its base model.

The demo's base model (www/assets/model.bin) is pretrained by `localrec pretrain`
on browsing histories of simulated shoppers, because a demo shop has no real
customers. This script makes those histories from www/assets/catalog.json.
Python 3 standard library only, deterministic for a seed.

How a simulated shopper behaves
-------------------------------
* Each shopper is drawn from an archetype with a distinct taste — runner,
  hiker, home cook, beauty fan, gadget lover, reader — or is "mixed" (no strong
  taste). A taste is a weight per (department, subcategory); each shopper gets
  their own noisy copy of their archetype's weights (gamma noise) plus a
  favourite brand per department (x2 weight).
* Items have a popularity (a seeded Zipf-like weight, boosted by rating and
  review count; out-of-stock items are seen less).
* Items have "bought together" partners: for each item, one or two fixed items
  in complementary subcategories (shoes -> socks / energy gels, tent -> sleeping
  bag / headlamp, serum -> moisturiser, skillet -> chef's knife / cookbook,
  camera -> SD card, ...).
* A shopper has several sessions. A session starts on an item drawn by
  taste x popularity, then each next view is: a bought-together partner of the
  current item (25 %), another item of the same subcategory (35 %), of the same
  department (15 %), or a fresh taste x popularity draw (25 %). Items are added
  to the cart with a probability that grows with rating; a session ends with a
  purchase of the cart with probability 0.6.

Outputs (the formats `localrec pretrain` reads)
-----------------------------------------------
* --sequences FILE: one line per shopper, `user item item ...` — the items the
  shopper viewed, in time order (an item viewed again in the same session is
  written once; an item can come back in a later session). Carts and
  purchases add no token (they always follow a view of the same item).
* --attributes FILE: JSON `{"item id": ["dept:running", "cat:Sports > Running",
  "sub:Sports > Running > Shoes", "brand:Stridewell", "price:3"], ...}` —
  category levels, brand and a price bucket as attribute tokens.
* --events FILE (optional): JSON lines of every simulated event
  (`{"user","item","kind","ts"}`), for inspection.

Usage:
    python3 tools/simulate.py --catalog www/assets/catalog.json \
        --sequences build/sim/sequences.txt --attributes build/sim/attributes.json \
        [--shoppers 2500] [--seed 11] [--events build/sim/events.jsonl]
"""

import argparse
import json
import math
import random
import sys
from pathlib import Path

# Archetype -> {department: weight} with optional subcategory preferences {(dept, sub): weight}.
ARCHETYPES = {
    "runner": ({"running": 0.65, "electronics": 0.1, "books": 0.1, "outdoor": 0.15},
               {("books", "Sports & Fitness"): 6.0, ("electronics", "Wearables"): 6.0}),
    "hiker": ({"outdoor": 0.65, "running": 0.1, "books": 0.1, "electronics": 0.15},
              {("books", "Travel & Outdoors"): 6.0, ("electronics", "Cameras"): 5.0}),
    "home_cook": ({"kitchen": 0.7, "books": 0.2, "beauty": 0.1},
                  {("books", "Cookbooks"): 8.0}),
    "beauty_fan": ({"beauty": 0.8, "books": 0.1, "kitchen": 0.1},
                   {("books", "Fiction"): 4.0}),
    "gadget_lover": ({"electronics": 0.75, "kitchen": 0.1, "books": 0.1, "running": 0.05},
                     {("books", "Science"): 6.0, ("kitchen", "Small Appliances"): 5.0, ("kitchen", "Coffee"): 3.0}),
    "reader": ({"books": 0.75, "kitchen": 0.15, "electronics": 0.1},
               {("kitchen", "Coffee"): 6.0, ("electronics", "Audio > Headphones"): 2.0}),
    "mixed": ({"running": 1, "outdoor": 1, "beauty": 1, "kitchen": 1, "books": 1, "electronics": 1}, {}),
}
ARCHETYPE_SHARE = {"runner": 0.17, "hiker": 0.14, "home_cook": 0.17, "beauty_fan": 0.17, "gadget_lover": 0.15,
                   "reader": 0.1, "mixed": 0.1}

# Subcategory (last category level) -> subcategories whose items are bought with it.
COMPLEMENTS = {
    "Shoes": ["Accessories", "Nutrition", "Apparel"],
    "Apparel": ["Shoes", "Accessories"],
    "Accessories": ["Shoes", "Nutrition"],
    "Nutrition": ["Nutrition", "Accessories"],
    "Tents": ["Sleeping Bags", "Lighting"],
    "Backpacks": ["Lighting", "Camp Kitchen"],
    "Sleeping Bags": ["Tents"],
    "Lighting": ["Backpacks", "Tents"],
    "Camp Kitchen": ["Backpacks"],
    "Serums": ["Moisturisers", "Cleansers"],
    "Moisturisers": ["Serums", "Cleansers"],
    "Cleansers": ["Moisturisers", "Serums"],
    "Makeup": ["Makeup", "Cleansers"],
    "Hair Care": ["Hair Care"],
    "Cookware": ["Knives", "Prep & Storage", "Cookbooks"],
    "Knives": ["Prep & Storage", "Cookware"],
    "Coffee": ["Coffee"],
    "Small Appliances": ["Cookbooks", "Prep & Storage"],
    "Prep & Storage": ["Knives"],
    "Fiction": ["Fiction"],
    "Cookbooks": ["Cookware"],
    "Sports & Fitness": ["Shoes"],
    "Travel & Outdoors": ["Backpacks"],
    "Science": ["Science"],
    "Headphones": ["Computer Accessories", "Speakers"],
    "Speakers": ["Headphones"],
    "Wearables": ["Shoes", "Headphones"],
    "Computer Accessories": ["Computer Accessories"],
    "Cameras": ["Cameras"],
}


def sub_key(item):
    """The (department, subcategory path below the root) pair of an item."""
    parts = [p.strip() for p in item["category"].split(">")]
    root_len = 2 if item["department"] in ("running", "outdoor", "kitchen") else 1
    return item["department"], " > ".join(parts[root_len:])


def weighted_choice(rng, items, weights):
    total = sum(weights)
    x = rng.random() * total
    acc = 0.0
    for item, w in zip(items, weights):
        acc += w
        if x < acc:
            return item
    return items[-1]


class World:
    """The catalog with popularity and bought-together partners."""

    def __init__(self, items, rng):
        self.items = items
        self.by_id = {it["id"]: it for it in items}
        self.by_sub = {}
        self.by_dept = {}
        self.by_last = {}
        for it in items:
            self.by_sub.setdefault(sub_key(it), []).append(it)
            self.by_dept.setdefault(it["department"], []).append(it)
            self.by_last.setdefault(it["category"].split(">")[-1].strip(), []).append(it)
        order = list(items)
        rng.shuffle(order)
        self.popularity = {}
        for rank, it in enumerate(order):
            base = 1.0 / (rank + 5) ** 0.8
            quality = math.exp(1.2 * (it.get("rating", 4.0) - 4.0)) * (1 + math.log1p(it.get("reviews", 0)) / 5)
            stock = 1.0 if it.get("inStock", True) else 0.3
            self.popularity[it["id"]] = base * quality * stock
        self.partners = {}
        for it in items:
            last = it["category"].split(">")[-1].strip()
            pool = [p for sub in COMPLEMENTS.get(last, []) for p in self.by_last.get(sub, []) if p["id"] != it["id"]]
            if pool:
                k = 1 if rng.random() < 0.5 else 2
                self.partners[it["id"]] = [p["id"] for p in rng.sample(pool, k=min(k, len(pool)))]
            else:
                self.partners[it["id"]] = []


class Shopper:
    def __init__(self, uid, archetype, world, rng):
        self.uid = uid
        self.archetype = archetype
        dept_w, sub_boost = ARCHETYPES[archetype]
        self.fav_brand = {d: rng.choice(sorted({it["brand"] for it in its})) for d, its in world.by_dept.items()}
        # Per-shopper noisy subcategory weights.
        self.sub_weight = {}
        for (dept, sub), its in world.by_sub.items():
            w = dept_w.get(dept, 0.0) * sub_boost.get((dept, sub), 1.0)
            self.sub_weight[(dept, sub)] = w * rng.gammavariate(2.0, 0.5) + 0.002
        self.world = world
        self._all_weights = None

    def taste(self, item):
        w = self.sub_weight[sub_key(item)] * self.world.popularity[item["id"]]
        if self.fav_brand.get(item["department"]) == item["brand"]:
            w *= 2.0
        return w

    def draw(self, rng, pool):
        return weighted_choice(rng, pool, [self.taste(it) for it in pool])

    def draw_any(self, rng):
        """A taste x popularity draw from the whole catalog (weights cached: the hot path)."""
        if self._all_weights is None:
            self._all_weights = [self.taste(it) for it in self.world.items]
        return weighted_choice(rng, self.world.items, self._all_weights)


def simulate(items, shoppers, seed):
    rng = random.Random(seed)
    world = World(items, random.Random(seed + 1))
    names = list(ARCHETYPE_SHARE)
    shares = [ARCHETYPE_SHARE[n] for n in names]
    t0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, so timestamps are plausible
    users = []
    for u in range(shoppers):
        shopper = Shopper(f"u{u:05d}", weighted_choice(rng, names, shares), world, rng)
        events = []
        ts = t0 + rng.randint(0, 90) * 86_400_000
        for _session in range(rng.randint(2, 6)):
            current = shopper.draw_any(rng)
            cart = []
            for _step in range(rng.randint(3, 10)):
                ts += rng.randint(15, 240) * 1000
                events.append((ts, "view", current["id"]))
                if rng.random() < 0.08 + 0.04 * (current.get("rating", 4.0) - 3.5) and current.get("inStock", True):
                    cart.append(current["id"])
                    events.append((ts + 1000, "add_to_cart", current["id"]))
                x = rng.random()
                partners = world.partners[current["id"]]
                if x < 0.25 and partners:
                    current = world.by_id[rng.choice(partners)]
                elif x < 0.6:
                    current = shopper.draw(rng, world.by_sub[sub_key(current)])
                elif x < 0.75:
                    current = shopper.draw(rng, world.by_dept[current["department"]])
                else:
                    current = shopper.draw_any(rng)
            if cart and rng.random() < 0.6:
                ts += 60_000
                for item_id in cart:
                    events.append((ts, "purchase", item_id))
            ts += rng.randint(1, 20) * 86_400_000
        users.append((shopper, events))
    return users


SESSION_GAP_MS = 30 * 60_000


def sequence_of(events):
    """The items a shopper viewed, in time order; an item viewed again within the same session
    (gap < 30 min) is written once. Carts and purchases add no token: they follow views."""
    out = []
    seen_in_session = set()
    last_ts = None
    for ts, kind, item in events:
        if last_ts is not None and ts - last_ts > SESSION_GAP_MS:
            seen_in_session = set()
        last_ts = ts
        if kind != "view" or item in seen_in_session:
            continue
        seen_in_session.add(item)
        out.append(item)
    return out


def attributes_of(items):
    attrs = {}
    for it in items:
        parts = [p.strip() for p in it["category"].split(">")]
        toks = [f"dept:{it['department']}"]
        for depth in range(1, len(parts) + 1):
            toks.append("cat:" + " > ".join(parts[:depth]))
        toks.append(f"brand:{it['brand']}")
        toks.append(f"price:{min(6, int(math.log2(max(1.0, it['price']) / 5)))}")
        attrs[it["id"]] = toks
    return attrs


def main(argv=None):
    parser = argparse.ArgumentParser(description="Simulated shoppers -> sequences + attributes for localrec pretrain")
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--sequences", required=True)
    parser.add_argument("--attributes", required=True)
    parser.add_argument("--events")
    parser.add_argument("--shoppers", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.shoppers < 1:
        parser.error("--shoppers must be at least 1")
    with open(args.catalog, encoding="utf-8") as f:
        items = json.load(f)["items"]
    users = simulate(items, args.shoppers, args.seed)
    for path in (args.sequences, args.attributes, args.events):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    tokens = 0
    with open(args.sequences, "w", encoding="utf-8") as f:
        for shopper, events in users:
            seq = sequence_of(events)
            tokens += len(seq)
            f.write(shopper.uid + " " + " ".join(seq) + "\n")
    with open(args.attributes, "w", encoding="utf-8") as f:
        json.dump(attributes_of(items), f, ensure_ascii=False)
    if args.events:
        with open(args.events, "w", encoding="utf-8") as f:
            for shopper, events in users:
                for ts, kind, item in events:
                    f.write(json.dumps({"user": shopper.uid, "archetype": shopper.archetype, "item": item,
                                        "kind": kind, "ts": ts}) + "\n")
    counts = {}
    for shopper, _ in users:
        counts[shopper.archetype] = counts.get(shopper.archetype, 0) + 1
    print(f"simulate: {len(users)} shoppers {counts}, {tokens} sequence items -> {args.sequences}, {args.attributes}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
