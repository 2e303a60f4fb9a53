// The shop's catalog: loading, search, listing filters and content similarity.
// Everything here is plain data work on the static catalog; nothing about the
// shopper is involved (personalisation lives in reco.js, through localrec).

let catalog = null;

/** Fetches assets/catalog.json once. */
export async function loadCatalog() {
  if (catalog) return catalog;
  const res = await fetch(new URL("../assets/catalog.json", import.meta.url));
  if (!res.ok) throw new Error(`catalog: GET assets/catalog.json answered ${res.status}`);
  const data = await res.json();
  if (!data || !Array.isArray(data.items)) throw new Error("catalog: assets/catalog.json has no items array");
  const byId = new Map(data.items.map((it) => [it.id, it]));
  catalog = { ...data, byId };
  return catalog;
}

export function getCatalog() {
  return catalog;
}

/** The department record for a key, or undefined. */
export function department(key) {
  return catalog?.departments.find((d) => d.key === key);
}

const SORTS = {
  featured: (a, b) => b.rating * Math.log1p(b.reviews) - a.rating * Math.log1p(a.reviews),
  "price-asc": (a, b) => a.price - b.price,
  "price-desc": (a, b) => b.price - a.price,
  rating: (a, b) => b.rating - a.rating || b.reviews - a.reviews,
  name: (a, b) => a.title.localeCompare(b.title),
};
export const SORT_LABELS = {
  featured: "Featured",
  "price-asc": "Price: low to high",
  "price-desc": "Price: high to low",
  rating: "Customer rating",
  name: "Name A–Z",
};

/** Items of one department after filters {sub, brand, min, max, stock, rating} and a sort key. */
export function listing(deptKey, { sub, brand, min, max, stock, rating, sort } = {}) {
  const lo = Number.parseFloat(min);
  const hi = Number.parseFloat(max);
  const minRating = Number.parseFloat(rating);
  const items = catalog.items.filter(
    (it) =>
      it.department === deptKey &&
      (!sub || it.subcategory === sub) &&
      (!brand || it.brand === brand) &&
      (!Number.isFinite(lo) || it.price >= lo) &&
      (!Number.isFinite(hi) || it.price <= hi) &&
      (!stock || it.inStock) &&
      (!Number.isFinite(minRating) || it.rating >= minRating),
  );
  return items.sort(SORTS[sort] || SORTS.featured);
}

/** Distinct values of a field within a department, sorted. */
export function facet(deptKey, field) {
  return [...new Set(catalog.items.filter((it) => it.department === deptKey).map((it) => it[field]))].sort();
}

function words(text) {
  return String(text || "").toLowerCase().normalize("NFKD").split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** Search by words over title, brand, category and tags; every word must match somewhere. */
export function search(query) {
  const terms = words(query);
  if (terms.length === 0) return [];
  const scored = [];
  for (const it of catalog.items) {
    const title = words(it.title);
    const other = words(`${it.brand} ${it.category} ${it.tags.join(" ")}`);
    let score = 0;
    let all = true;
    for (const t of terms) {
      const inTitle = title.some((w) => w.startsWith(t));
      const inOther = other.some((w) => w.startsWith(t));
      if (!inTitle && !inOther) { all = false; break; }
      score += inTitle ? 2 : 1;
    }
    if (all) scored.push([score + it.rating / 10, it]);
  }
  return scored.sort((a, b) => b[0] - a[0]).map(([, it]) => it);
}

/**
 * "Similar items": content similarity from the catalog alone — same category
 * path, shared tags, same brand, close price. (The learned "also viewed" list
 * comes from localrec's base model, see reco.js.)
 */
export function similarByContent(item, k = 6) {
  const tags = new Set(item.tags);
  const scored = [];
  for (const other of catalog.items) {
    if (other.id === item.id) continue;
    let score = 0;
    if (other.category === item.category) score += 3;
    else if (other.department === item.department) score += 1;
    score += other.tags.filter((t) => tags.has(t)).length * 0.7;
    if (other.brand === item.brand) score += 0.8;
    score -= Math.abs(Math.log((other.price + 1) / (item.price + 1))) * 0.8;
    if (!other.inStock) score -= 0.5;
    scored.push([score, other]);
  }
  return scored.sort((a, b) => b[0] - a[0] || a[1].id.localeCompare(b[1].id)).slice(0, k).map(([, it]) => it);
}

/** The catalog as localrec's CatalogItem records (only the fields the package knows). */
export function packageItems() {
  return catalog.items.map((it) => ({
    id: it.id,
    title: it.title,
    category: it.category,
    brand: it.brand,
    price: it.price,
    tags: it.tags,
    inStock: it.inStock,
    rating: it.rating,
    image: it.image,
  }));
}
