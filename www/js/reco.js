// The ONE adapter between the shop and the localrec package.
//
// The package runs in a Web Worker (`LocalRecWorker`, promise-based). The shop
// passes it the catalog and the base model bytes (the package fetches nothing),
// reports every view / click / add-to-cart / purchase, and asks it for the
// shelves. Nothing here talks to the network except the two static GETs of
// assets/catalog.json and assets/model.bin and the package's own files.
//
// If the package is missing or fails, the adapter says so (status "unavailable"
// with the reason) and the shelves show that message — results are never faked.

const PKG_CLIENT = new URL("../pkg/client.js", import.meta.url).href;
const MODEL_URL = new URL("../assets/model.bin", import.meta.url).href;
/** Fixed seed: the cold-start list is the same for every new shopper (the e2e test relies on it). */
const CONFIG = { seed: 42 };

const listeners = new Set();
let client = null;
let status = { state: "loading", message: "Starting the on-device recommender…" };
let startPromise = null;
let version = 0; // bumps whenever the recommendations may have changed

let tracked = 0;

/** Marks that recommendations may have changed and tells the shelves. */
function bump() {
  version += 1;
  // Exposed on <html> so an end-to-end test can wait for "everything re-rendered".
  document.documentElement.dataset.recoVersion = String(version);
  for (const fn of listeners) fn(status);
}

function setStatus(state, message) {
  status = { state, message };
  bump();
}

/** Subscribes to status / data changes (the shelves re-render). */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function getStatus() {
  return status;
}

/** A number that changes whenever recommendations may have changed. */
export function dataVersion() {
  return version;
}

/**
 * Starts the worker, restores this shopper's stored events, and loads the
 * catalog and the base model. Safe to call several times.
 */
export function start(packageItems) {
  if (!startPromise) startPromise = doStart(packageItems);
  return startPromise;
}

async function doStart(packageItems) {
  try {
    let mod;
    try {
      mod = await import(PKG_CLIENT);
    } catch (e) {
      throw new Error(`the localrec package was not found at /pkg/ (build it with wasm-pack): ${e.message}`);
    }
    const LocalRecWorker = mod.LocalRecWorker || mod.default?.LocalRecWorker;
    if (!LocalRecWorker) throw new Error("/pkg/client.js does not export LocalRecWorker");
    client = await LocalRecWorker.create(CONFIG);
    await client.loadCatalog(packageItems);
    // The base model is optional: without it (or if it is rejected, e.g. built for another
    // catalog) localrec falls back to a cold start from the catalog and learns from this device.
    let note = "";
    try {
      const res = await fetch(MODEL_URL);
      if (!res.ok) throw new Error(`GET assets/model.bin answered ${res.status}`);
      await client.loadModel(new Uint8Array(await res.arrayBuffer()));
    } catch (e) {
      note = `No base model (${e.message}); recommendations start from the catalog and learn from this device only.`;
    }
    await client.load(); // this shopper's events from IndexedDB, if any
    setStatus("ready", note);
  } catch (e) {
    client = null;
    setStatus("unavailable", `Personalisation is unavailable: ${e.message}`);
  }
  return status;
}

async function ready() {
  if (startPromise) await startPromise;
  if (!client) throw new Error(status.message || "the recommender is not running");
  return client;
}

/**
 * Records one shopper event ("view", "click", "add_to_cart", "remove_from_cart",
 * "purchase") for an item, and saves the log on this device.
 */
export async function track(kind, itemId, extra = {}) {
  const rec = await ready();
  const now = Date.now();
  const event = { itemId, kind, timestamp: now, ...extra };
  const report = await rec.track(event, now);
  await rec.save();
  tracked += 1;
  document.documentElement.dataset.tracked = String(tracked);
  bump();
  return report;
}

/** "Recommended for you": [{itemId, score, reason, reasonKind, reasonItemId?}]. */
export async function recommend(k = 8, filters = {}) {
  const rec = await ready();
  return items(await rec.recommend({ k, filters: { excludePurchased: true, excludeInCart: true, ...filters } }));
}

/** The package answers {items, note, …}; the shelves want the list. */
function items(result) {
  if (Array.isArray(result)) return result;
  if (result && Array.isArray(result.items)) return result.items;
  throw new Error("the recommender answered without an items list");
}

/** Items like this one according to the base model (co-occurrence + attributes). */
export async function similar(itemId, k = 6) {
  const rec = await ready();
  return items(await rec.similar(itemId, { k, filters: {} }));
}

/** Fine-tunes on this shopper's history in the worker; onProgress gets {done, epoch, batch, loss, elapsedMs}. */
export async function train({ onProgress, signal, epochs = 8, maxMs = 8000 } = {}) {
  const rec = await ready();
  // Short chunks: more progress events for the bar and the chart; the worker yields between them.
  const report = await rec.train({ epochs, maxMs, chunkMs: 2, onProgress, signal });
  await rec.save();
  bump();
  return report;
}

/** What is stored on this device: counts, date range, sizes. */
export async function inspect() {
  const rec = await ready();
  return rec.inspect();
}

/** Everything localrec stored about this shopper, as plain data for a JSON download. */
export async function exportData() {
  const rec = await ready();
  const summary = await rec.inspect();
  let events = null;
  if (typeof rec.exportEventsJson === "function") events = await rec.exportEventsJson();
  else if (typeof rec.exportEvents === "function") {
    const bytes = await rec.exportEvents();
    events = { encoding: "base64 of localrec's sealed event log", data: base64(bytes) };
  }
  return { summary, events };
}

/** Deletes everything localrec stored on this device. */
export async function forget() {
  const rec = await ready();
  await rec.forget();
  bump();
}

function base64(bytes) {
  let bin = "";
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  for (let i = 0; i < u8.length; i += 0x8000) bin += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(bin);
}
