// The demo storefront: hash routing, pages, shelves. All text goes through
// dom.js (textContent / setAttribute); personalisation goes through reco.js.
import { h, money, bytes } from "./dom.js";
import { productImage } from "./images.js";
import * as cat from "./catalog.js";
import * as store from "./store.js";
import * as reco from "./reco.js";
import { lossChart } from "./chart.js";

const main = document.getElementById("main");
const statusBar = document.getElementById("reco-status");
const cartLink = document.getElementById("cart-link");
let renderToken = 0;
let liveShelves = []; // shelves that re-fill when the recommender's data changes

// ---------- routing ----------

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return { parts, params: new URLSearchParams(query) };
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/** Renders the current route; `keepFocus` (a form control name) keeps keyboard focus on that control. */
async function render({ keepFocus } = {}) {
  const token = ++renderToken;
  liveShelves = [];
  const { parts, params } = parseHash();
  const [page, arg] = parts;
  let view;
  try {
    if (!page) view = homePage();
    else if (page === "c" && cat.department(arg)) view = categoryPage(arg, params);
    else if (page === "search") view = searchPage(params.get("q") || "");
    else if (page === "p" && cat.getCatalog().byId.has(arg)) view = productPage(cat.getCatalog().byId.get(arg));
    else if (page === "cart") view = cartPage();
    else if (page === "checkout") view = checkoutPage();
    else if (page === "order") view = orderPage(Number(arg));
    else if (page === "privacy") view = privacyPage();
    else if (page === "tune") view = tunePage();
    else view = notFoundPage();
  } catch (e) {
    view = { title: "Something went wrong", node: h("section", {}, h("h1", { tabindex: -1, text: "Something went wrong" }), h("p", { text: e.message })) };
  }
  if (token !== renderToken) return;
  document.title = `${view.title} · Localrec Outfitters`;
  main.replaceChildren(view.node);
  const keep = keepFocus && main.querySelector(`[name="${CSS.escape(keepFocus)}"]`);
  if (keep) {
    keep.focus();
    return;
  }
  const heading = main.querySelector("h1");
  if (heading && document.activeElement !== document.getElementById("search-input")) heading.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  for (const nav of document.querySelectorAll("[data-nav]")) {
    if (nav.getAttribute("href") === `#/${parts.slice(0, 2).join("/")}`) nav.setAttribute("aria-current", "page");
    else nav.removeAttribute("aria-current");
  }
}

// ---------- shared pieces ----------

function stars(rating) {
  const full = Math.round(rating);
  return h("span", { class: "stars", "aria-label": `Rated ${rating} out of 5` }, "★".repeat(full) + "☆".repeat(5 - full));
}

/** A product card; `reason` (from localrec) is shown under it when given. */
function card(item, { reason, shelf } = {}) {
  const link = h(
    "a",
    {
      href: `#/p/${encodeURIComponent(item.id)}`,
      class: "card-link",
      onclick: () => {
        reco.track("click", item.id, shelf ? { source: shelf } : {}).catch(() => {});
      },
    },
    productImage(item),
    h("span", { class: "card-title", text: item.title }),
  );
  return h(
    "li",
    { class: "card", "data-item-id": item.id, "data-department": item.department },
    link,
    h("p", { class: "card-brand", text: item.brand }),
    h("p", { class: "card-meta" }, stars(item.rating), " ", h("span", { class: "price", text: money(item.price) })),
    item.inStock ? null : h("p", { class: "out", text: "Out of stock" }),
    reason ? h("p", { class: "reason", "data-reason": "", text: reason }) : null,
  );
}

function grid(items, opts) {
  return h("ul", { class: "grid" }, items.map((it) => card(it, opts)));
}

/**
 * A shelf of recommendations filled asynchronously from `load()` → [{itemId, reason}].
 * `live` shelves re-fill when the shopper's data changes (a tracked event, training, forget).
 */
function shelf(name, heading, load, { live = false, note } = {}) {
  const list = h("ul", { class: "grid shelf-items" });
  const message = h("p", { class: "shelf-message", role: "status", text: "Loading…" });
  const section = h(
    "section",
    { class: "shelf", "data-shelf": name, "aria-labelledby": `shelf-${name}` },
    h("h2", { id: `shelf-${name}`, text: heading }),
    note ? h("p", { class: "shelf-note", text: note }) : null,
    message,
    list,
  );
  let fillSeq = 0;
  const fill = async () => {
    const seq = ++fillSeq;
    const startedAt = reco.dataVersion();
    section.setAttribute("aria-busy", "true");
    try {
      const results = await load();
      if (seq !== fillSeq) return;
      const byId = cat.getCatalog().byId;
      const cards = results.filter((r) => byId.has(r.itemId)).map((r) => card(byId.get(r.itemId), { reason: r.reason, shelf: name }));
      list.replaceChildren(...cards);
      message.textContent = cards.length ? "" : "Nothing to show here yet.";
      section.dataset.state = "ready";
    } catch (e) {
      if (seq !== fillSeq) return;
      list.replaceChildren();
      message.textContent = reco.getStatus().state === "unavailable" ? reco.getStatus().message : `Could not load this shelf: ${e.message}`;
      section.dataset.state = "error";
    } finally {
      if (seq === fillSeq) {
        section.setAttribute("aria-busy", "false");
        section.dataset.version = String(startedAt); // the data version this content reflects
      }
    }
  };
  fill();
  if (live) liveShelves.push(fill);
  return section;
}

function recommendedShelf(k = 8) {
  return shelf("recommended", "Recommended for you", () => reco.recommend(k), {
    live: true,
    note: "Computed in your browser from what you do here. Nothing leaves this device.",
  });
}

function page(title, ...children) {
  return { title, node: h("div", { class: "page" }, h("h1", { tabindex: -1, text: title }), ...children) };
}

// ---------- pages ----------

function homePage() {
  const depts = cat.getCatalog().departments;
  return {
    title: "Home",
    node: h(
      "div",
      { class: "page" },
      h("section", { class: "hero" },
        h("h1", { tabindex: -1, text: "Gear, books and good things — picked for you, on your device" }),
        h("p", { text: "Recommendations here are computed by a small neural network running in your browser. Your browsing history stays on this device: the shop's server never sees it." }),
        h("p", {}, h("a", { href: "#/privacy", class: "button secondary", text: "See what is stored" }), " ", h("a", { href: "#/tune", class: "button secondary", text: "Personalise further" }))),
      recommendedShelf(8),
      h("section", { class: "departments", "aria-labelledby": "dept-heading" },
        h("h2", { id: "dept-heading", text: "Shop by department" }),
        h("ul", { class: "dept-tiles" }, depts.map((d) => {
          const sample = cat.getCatalog().items.find((it) => it.department === d.key);
          return h("li", {}, h("a", { href: `#/c/${d.key}`, class: "dept-tile" }, productImage(sample, "tile"), h("span", { text: d.name })));
        }))),
    ),
  };
}

function categoryPage(key, params) {
  const dept = cat.department(key);
  const opts = Object.fromEntries(["sub", "brand", "min", "max", "stock", "rating", "sort"].map((k) => [k, params.get(k) || ""]));
  const items = cat.listing(key, opts);
  const update = (form) => {
    const data = new FormData(form);
    const q = new URLSearchParams();
    for (const [k, v] of data.entries()) if (v) q.set(k, String(v));
    history.replaceState(null, "", `#/c/${key}?${q}`);
    render({ keepFocus: document.activeElement?.name });
  };
  const select = (name, label, values, current, labels = {}) =>
    h("label", {}, h("span", { text: label }),
      h("select", { name }, values.map((v) => h("option", { value: v, selected: v === current, text: labels[v] ?? (v || "All") }))));
  const form = h("form", { class: "filters", "aria-label": "Filter and sort", onchange: (e) => update(e.currentTarget), onsubmit: (e) => { e.preventDefault(); update(e.currentTarget); } },
    select("sort", "Sort by", Object.keys(cat.SORT_LABELS), opts.sort || "featured", cat.SORT_LABELS),
    select("sub", "Category", ["", ...cat.facet(key, "subcategory")], opts.sub),
    select("brand", "Brand", ["", ...cat.facet(key, "brand")], opts.brand),
    h("label", {}, h("span", { text: "Min price (€)" }), h("input", { type: "number", name: "min", min: 0, step: 1, inputmode: "decimal", value: opts.min })),
    h("label", {}, h("span", { text: "Max price (€)" }), h("input", { type: "number", name: "max", min: 0, step: 1, inputmode: "decimal", value: opts.max })),
    select("rating", "Rating", ["", "4.5", "4", "3.5"], opts.rating, { "": "Any", "4.5": "4.5 and up", 4: "4 and up", 3.5: "3.5 and up" }),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "stock", value: "1", checked: opts.stock === "1" }), h("span", { text: "In stock only" })),
    h("button", { type: "submit", class: "button secondary", text: "Apply" }),
  );
  return page(dept.name,
    h("p", { class: "crumbs", text: dept.category }),
    form,
    h("p", { class: "count", role: "status", text: `${items.length} product${items.length === 1 ? "" : "s"}` }),
    grid(items),
  );
}

function searchPage(q) {
  const results = cat.search(q);
  return page(q ? `Search: ${q}` : "Search",
    h("p", { class: "count", role: "status", text: q ? `${results.length} result${results.length === 1 ? "" : "s"} for “${q}”` : "Type a word in the search box above." }),
    grid(results));
}

function productPage(item) {
  reco.track("view", item.id).catch(() => {});
  const qty = h("input", { type: "number", id: "qty", name: "qty", min: 1, max: 10, value: 1, inputmode: "numeric" });
  const added = h("p", { class: "added", role: "status" });
  const addButton = h("button", {
    type: "button", class: "button", id: "add-to-cart", disabled: !item.inStock, text: item.inStock ? "Add to cart" : "Out of stock",
    onclick: () => {
      const n = Math.max(1, Math.min(10, Number.parseInt(qty.value, 10) || 1));
      store.addToCart(item.id, n);
      added.textContent = `Added ${n} to your cart.`;
      reco.track("add_to_cart", item.id, { quantity: n }).catch(() => {});
    },
  });
  const dept = cat.department(item.department);
  const below = item.category.startsWith(`${dept.category} > `) ? item.category.slice(dept.category.length + 3) : item.category;
  return {
    title: item.title,
    node: h("div", { class: "page product", "data-item-id": item.id },
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
        h("a", { href: `#/c/${item.department}`, text: dept.name }), " › ", h("span", { text: below })),
      h("div", { class: "product-main" },
        productImage(item, "large"),
        h("div", { class: "product-info" },
          h("h1", { tabindex: -1, text: item.title }),
          h("p", { class: "card-brand", text: `by ${item.brand}` }),
          h("p", {}, stars(item.rating), " ", h("span", { text: `${item.rating} (${item.reviews} reviews)` })),
          h("p", { class: "price big", text: money(item.price) }),
          h("p", { class: item.inStock ? "stock" : "out", text: item.inStock ? `In stock (${item.stock} left)` : "Out of stock" }),
          h("div", { class: "buy" }, h("label", { for: "qty", text: "Quantity" }), qty, addButton),
          added,
          h("p", { text: item.description }),
          h("ul", { class: "tags", "aria-label": "Tags" }, item.tags.map((t) => h("li", { text: t }))))),
      shelf("similar", "Similar items", async () => cat.similarByContent(item, 6).map((it) => ({ itemId: it.id })),
        { note: "Same kind of product, by category, tags, brand and price." }),
      shelf("also-viewed", "Customers who viewed this also viewed", () => reco.similar(item.id, 6),
        { note: "From localrec's base model: what other shoppers viewed together with this (each item says why)." }),
      recommendedShelf(6),
    ),
  };
}

function cartPage() {
  const byId = cat.getCatalog().byId;
  const lines = store.cart().filter((l) => byId.has(l.id));
  if (lines.length === 0) return page("Your cart", h("p", { text: "Your cart is empty." }), h("a", { href: "#/", class: "button secondary", text: "Continue shopping" }));
  const total = lines.reduce((sum, l) => sum + byId.get(l.id).price * l.qty, 0);
  return page("Your cart",
    h("table", { class: "cart" },
      h("caption", { class: "visually-hidden", text: "Items in your cart" }),
      h("thead", {}, h("tr", {}, ["Product", "Price", "Quantity", "Subtotal", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, lines.map((l) => {
        const it = byId.get(l.id);
        const id = `qty-${it.id}`;
        return h("tr", { "data-item-id": it.id },
          h("td", {}, h("a", { href: `#/p/${encodeURIComponent(it.id)}`, text: it.title })),
          h("td", { text: money(it.price) }),
          h("td", {}, h("label", { for: id, class: "visually-hidden", text: `Quantity of ${it.title}` }),
            h("input", { id, type: "number", min: 1, max: 99, value: l.qty, class: "qty", onchange: (e) => { store.setQty(it.id, Number.parseInt(e.target.value, 10) || 1); render(); } })),
          h("td", { text: money(it.price * l.qty) }),
          h("td", {}, h("button", { type: "button", class: "link", "aria-label": `Remove ${it.title}`, text: "Remove", onclick: () => { store.removeFromCart(it.id); reco.track("remove_from_cart", it.id).catch(() => {}); render(); } })));
      }))),
    h("p", { class: "total", text: `Total: ${money(total)}` }),
    h("a", { href: "#/checkout", class: "button", id: "checkout-link", text: "Checkout" }));
}

function checkoutPage() {
  const byId = cat.getCatalog().byId;
  const lines = store.cart().filter((l) => byId.has(l.id));
  if (lines.length === 0) return page("Checkout", h("p", { text: "Your cart is empty." }));
  const total = lines.reduce((sum, l) => sum + byId.get(l.id).price * l.qty, 0);
  const error = h("p", { class: "error", role: "alert" });
  const field = (name, label, type = "text", autocomplete = "off") =>
    h("label", {}, h("span", { text: label }), h("input", { name, type, required: true, autocomplete }));
  const form = h("form", { class: "checkout", "aria-describedby": "checkout-note", onsubmit: async (e) => {
    e.preventDefault(); // nothing is submitted anywhere: the order is recorded on this device only
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const order = store.placeOrder(lines, total);
      for (const l of lines) await reco.track("purchase", l.id, { quantity: l.qty }).catch(() => {});
      go(`#/order/${order.number}`);
    } catch (err) {
      error.textContent = err.message;
      button.disabled = false;
    }
  } },
    h("p", { id: "checkout-note", class: "note", text: "This is a demo shop: nothing is charged and this form is not sent anywhere. The order is recorded only on this device." }),
    field("name", "Full name", "text", "name"),
    field("address", "Street address", "text", "street-address"),
    field("city", "City", "text", "address-level2"),
    h("p", { class: "total", text: `Total: ${money(total)}` }),
    h("button", { type: "submit", class: "button", id: "place-order", text: "Place order" }),
    error);
  return page("Checkout", form);
}

function orderPage(number) {
  const order = store.orders().find((o) => o.number === number);
  if (!order) return notFoundPage();
  const byId = cat.getCatalog().byId;
  return page(`Thank you — order #${order.number}`,
    h("p", { text: `Recorded on this device on ${new Date(order.at).toLocaleString()}. Total ${money(order.total)}.` }),
    h("ul", {}, order.lines.map((l) => h("li", { text: `${l.qty} × ${byId.get(l.id)?.title ?? l.id}` }))),
    recommendedShelf(6));
}

function privacyPage() {
  const stats = h("dl", { class: "stats", id: "privacy-stats" }, h("dt", { text: "Status" }), h("dd", { text: "Loading…" }));
  const message = h("p", { class: "status-message", role: "status", id: "privacy-message" });
  const row = (label, value, key) => [h("dt", { text: label }), h("dd", { "data-stat": key, text: value })];
  const refresh = async () => {
    const shop = store.shopData();
    const rows = [];
    try {
      const info = await reco.inspect();
      const n = Number(info.events ?? info.eventCount ?? 0);
      const first = info.firstEventMs ?? info.firstTimestamp ?? info.dateRange?.[0];
      const last = info.lastEventMs ?? info.lastTimestamp ?? info.dateRange?.[1];
      rows.push(row("Events recorded", String(n), "events"));
      rows.push(row("Date range", n ? `${new Date(first).toLocaleString()} – ${new Date(last).toLocaleString()}` : "—", "range"));
      rows.push(row("Size of the event log", bytes(info.eventsBytes ?? info.storedBytes), "bytes"));
      if (info.baseModel !== undefined) rows.push(row("Shop's base model", info.baseModel ? `loaded (${info.baseModelKnownItems} catalog items known; downloaded from the shop, identical for every shopper)` : "not loaded (cold start from the catalog)", "base"));
      if (info.fineTuned !== undefined) rows.push(row("Personal model", info.fineTuned ? `fine-tuned on this device (${bytes(info.modelBytes)})` : "not fine-tuned yet", "model"));
      if (info.byKind) rows.push(row("By kind", Object.entries(info.byKind).map(([k, v]) => `${k.replace(/_/g, " ")}: ${v}`).join(", ") || "—", "kinds"));
    } catch (e) {
      rows.push(row("Recommender", reco.getStatus().message || e.message, "error"));
    }
    rows.push(row("Cart lines", String(shop.cart.length), "cart"));
    rows.push(row("Orders", String(shop.orders.length), "orders"));
    stats.replaceChildren(...rows.flat());
  };
  refresh();
  liveShelves.push(refresh);
  const download = h("button", { type: "button", class: "button secondary", id: "download-data", text: "Download my data (JSON)", onclick: async () => {
    try {
      const data = { exportedAt: new Date().toISOString(), localrec: await reco.exportData().catch((e) => ({ error: e.message })), shop: store.shopData() };
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
      const a = h("a", { href: url, download: "my-shop-data.json", class: "visually-hidden", text: "download" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      message.textContent = "Your data was saved as my-shop-data.json.";
    } catch (e) {
      message.textContent = `Could not export: ${e.message}`;
    }
  } });
  const forget = h("button", { type: "button", class: "button danger", id: "forget-me", text: "Forget me", onclick: async () => {
    forget.disabled = true;
    try {
      await reco.forget().catch((e) => { if (reco.getStatus().state !== "unavailable") throw e; });
      store.wipeShopData();
      message.textContent = "Done: everything this shop stored on this device has been deleted.";
      await refresh();
    } catch (e) {
      message.textContent = `Could not delete everything: ${e.message}`;
    } finally {
      forget.disabled = false;
    }
  } });
  return page("Your data",
    h("section", { class: "privacy-statement", "aria-labelledby": "leaves" },
      h("h2", { id: "leaves", text: "What leaves this device: nothing." }),
      h("p", { text: "Your views, clicks, cart and purchases are recorded only in this browser (IndexedDB and local storage) and used there to compute your recommendations. The shop's server only ever sees requests for its static files (pages, scripts, the catalog and the base model) — never what you looked at. There are no analytics, no beacons and no tracking pixels; the page's Content-Security-Policy forbids connections to any other site." }),
      h("p", { text: "Any script of this site could read this data, so only product ids and event kinds are stored — no names or addresses (the checkout form is never saved or sent)." })),
    h("section", { "aria-labelledby": "stored" }, h("h2", { id: "stored", text: "Stored on this device" }), stats),
    h("div", { class: "actions" }, download, forget),
    message);
}

function tunePage() {
  const progress = h("progress", { id: "train-progress", max: 1, value: 0, "aria-label": "Training progress" });
  const status = h("p", { role: "status", id: "train-status", text: "Fine-tuning adapts the model to your own history, in a background worker. The page stays responsive." });
  const chartBox = h("div", { class: "chart-box" }, lossChart([]));
  const changes = h("div", { class: "changes", id: "rec-changes" });
  const start = h("button", { type: "button", class: "button", id: "train-start", text: "Fine-tune on my history" });
  const cancel = h("button", { type: "button", class: "button secondary", id: "train-cancel", disabled: true, text: "Cancel" });
  let controller = null;
  cancel.addEventListener("click", () => controller?.abort());
  start.addEventListener("click", async () => {
    start.disabled = true;
    cancel.disabled = false;
    controller = new AbortController();
    const epochs = new Map();
    try {
      const before = await reco.recommend(8);
      status.textContent = "Training…";
      const report = await reco.train({
        signal: controller.signal,
        onProgress: (p) => {
          progress.value = Math.max(0, Math.min(1, Number(p.done) || 0));
          if (Number.isFinite(p.loss)) {
            const e = epochs.get(p.epoch) || { sum: 0, n: 0 };
            e.sum += p.loss; e.n += 1;
            epochs.set(p.epoch, e);
            chartBox.replaceChildren(lossChart([...epochs].map(([x, v]) => ({ x: x + 1, y: v.sum / v.n }))));
          }
          status.textContent = `Epoch ${(p.epoch ?? 0) + 1}, loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : "—"}, ${Math.round(p.elapsedMs ?? 0)} ms`;
        },
      });
      progress.value = 1;
      const after = await reco.recommend(8);
      status.textContent = report?.cancelled ? "Cancelled: the model keeps what it learned so far." : "Done. Your personal model is saved on this device.";
      changes.replaceChildren(diffList(before, after));
    } catch (e) {
      status.textContent = controller.signal.aborted ? "Cancelled." : `Training failed: ${e.message}`;
    } finally {
      start.disabled = false;
      cancel.disabled = true;
    }
  });
  return page("Personalise further",
    h("p", { text: "Your recommendations already follow what you browse. Fine-tuning goes one step further: it trains the network on your own history (each later item as a positive, given the earlier ones), pulled toward the shared base model so it cannot drift far." }),
    h("div", { class: "actions" }, start, cancel),
    progress, status,
    h("h2", { text: "Loss per epoch" }), chartBox,
    h("h2", { text: "How your recommendations changed" }), changes);
}

function diffList(before, after) {
  const byId = cat.getCatalog().byId;
  const oldRank = new Map(before.map((r, i) => [r.itemId, i]));
  const dropped = before.filter((r) => !after.some((a) => a.itemId === r.itemId));
  return h("div", {},
    h("ol", { class: "diff" }, after.map((r, i) => {
      const was = oldRank.get(r.itemId);
      const move = was === undefined ? "new" : was > i ? `↑ ${was - i}` : was < i ? `↓ ${i - was}` : "=";
      return h("li", {}, h("span", { class: `move ${was === undefined ? "new" : ""}`, text: move }), " ",
        h("a", { href: `#/p/${encodeURIComponent(r.itemId)}`, text: byId.get(r.itemId)?.title ?? r.itemId }),
        r.reason ? h("span", { class: "reason", text: ` — ${r.reason}` }) : null);
    })),
    dropped.length ? h("p", { text: `Dropped out: ${dropped.map((r) => byId.get(r.itemId)?.title ?? r.itemId).join("; ")}` }) : null);
}

function notFoundPage() {
  return page("Page not found", h("p", {}, "This page does not exist. ", h("a", { href: "#/", text: "Go to the home page" })));
}

// ---------- start ----------

function updateCartLink() {
  const n = store.cartCount();
  cartLink.textContent = `Cart (${n})`;
  cartLink.setAttribute("aria-label", `Cart, ${n} item${n === 1 ? "" : "s"}`);
}

function showStatus(st) {
  statusBar.textContent = st.message;
  statusBar.dataset.state = st.state;
  statusBar.hidden = !st.message;
  document.documentElement.dataset.reco = st.state;
}

async function boot() {
  // The skip link must not change the hash (that is the router's): move focus instead.
  document.querySelector(".skip").addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });
  document.getElementById("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = document.getElementById("search-input").value.trim();
    go(`#/search?q=${encodeURIComponent(q)}`);
  });
  store.onChange(updateCartLink);
  updateCartLink();
  try {
    await cat.loadCatalog();
  } catch (e) {
    main.replaceChildren(h("h1", { text: "The catalog could not be loaded" }), h("p", { text: e.message }));
    return;
  }
  const nav = document.getElementById("dept-nav");
  nav.replaceChildren(...cat.getCatalog().departments.map((d) => h("li", {}, h("a", { href: `#/c/${d.key}`, "data-nav": "", text: d.name }))));
  reco.onChange((st) => {
    showStatus(st);
    for (const fill of liveShelves) fill();
  });
  showStatus(reco.getStatus());
  reco.start(cat.packageItems());
  window.addEventListener("hashchange", render);
  await render();
  document.documentElement.dataset.booted = "true";
}

boot();
