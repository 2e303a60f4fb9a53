// Privacy scenario for tests/web_privacy.rs: every way a page can send data is wrapped with a
// counter, then the complete API runs (create, loadCatalog, loadModel, track, trackMany, train,
// recommend, similar, exportModel, importModel, exportEvents, save, load, inspect, forget, free).
// The Resource Timing buffer is checked as a second, independent witness: any request the page
// made (even through a channel not wrapped here) appears there.
import { bindLocalRec } from "../js/api.js";

const CHANNELS = [
  "fetch",
  "XMLHttpRequest.open",
  "XMLHttpRequest.send",
  "WebSocket",
  "EventSource",
  "navigator.sendBeacon",
  "Image",
  "createElement(img|script|link|iframe|audio|video|source|object|embed)",
  "Worker",
  "SharedWorker",
  "RTCPeerConnection",
  "window.open",
  "form.submit",
  "serviceWorker.register",
];

/** Installs counting wrappers; returns { calls, details, uninstall }. */
export function installNetworkCounters() {
  const calls = Object.fromEntries(CHANNELS.map((c) => [c, 0]));
  const details = [];
  const restore = [];
  const note = (channel, what) => {
    calls[channel] += 1;
    details.push(`${channel}: ${String(what).slice(0, 120)}`);
  };
  const wrap = (obj, key, channel, make) => {
    if (!obj || !(key in obj)) return;
    const original = obj[key];
    if (typeof original !== "function") return;
    obj[key] = make(original, channel);
    restore.push(() => {
      obj[key] = original;
    });
  };
  const countingFn = (original, channel) =>
    function (...args) {
      note(channel, args[0]);
      return original.apply(this, args);
    };
  const countingCtor = (original, channel) => {
    const Wrapped = function (...args) {
      note(channel, args[0]);
      return new original(...args);
    };
    Wrapped.prototype = original.prototype;
    return Wrapped;
  };
  wrap(globalThis, "fetch", "fetch", countingFn);
  wrap(XMLHttpRequest.prototype, "open", "XMLHttpRequest.open", countingFn);
  wrap(XMLHttpRequest.prototype, "send", "XMLHttpRequest.send", countingFn);
  wrap(globalThis, "WebSocket", "WebSocket", countingCtor);
  wrap(globalThis, "EventSource", "EventSource", countingCtor);
  wrap(globalThis, "Image", "Image", countingCtor);
  wrap(globalThis, "Worker", "Worker", countingCtor);
  wrap(globalThis, "SharedWorker", "SharedWorker", countingCtor);
  wrap(globalThis, "RTCPeerConnection", "RTCPeerConnection", countingCtor);
  wrap(globalThis, "open", "window.open", countingFn);
  if (globalThis.navigator) {
    wrap(navigator, "sendBeacon", "navigator.sendBeacon", countingFn);
    if (navigator.serviceWorker) wrap(navigator.serviceWorker, "register", "serviceWorker.register", countingFn);
  }
  if (globalThis.HTMLFormElement) wrap(HTMLFormElement.prototype, "submit", "form.submit", countingFn);
  if (globalThis.document) {
    const tags = new Set(["img", "script", "link", "iframe", "audio", "video", "source", "object", "embed"]);
    const channel = CHANNELS[7];
    for (const key of ["createElement", "createElementNS"]) {
      const original = document[key];
      document[key] = function (...args) {
        const tag = String(key === "createElement" ? args[0] : args[1]).toLowerCase();
        if (tags.has(tag)) note(channel, tag);
        return original.apply(this, args);
      };
      restore.push(() => {
        document[key] = original;
      });
    }
  }
  return {
    calls,
    details,
    total: () => Object.values(calls).reduce((a, b) => a + b, 0),
    uninstall: () => restore.reverse().forEach((r) => r()),
  };
}

/** A self-test of the counters: each wrapped channel is really counted (so 0 later means 0). */
export async function countersCatchEveryChannel() {
  const c = installNetworkCounters();
  try {
    try {
      await fetch("data:text/plain,x");
    } catch {
      /* counted anyway */
    }
    const x = new XMLHttpRequest();
    x.open("GET", "data:text/plain,x");
    try {
      navigator.sendBeacon("data:text/plain,x", "y");
    } catch {
      /* counted anyway */
    }
    try {
      new WebSocket("ws://127.0.0.1:9/");
    } catch {
      /* counted anyway */
    }
    try {
      new EventSource("data:text/plain,x");
    } catch {
      /* counted anyway */
    }
    new Image();
    document.createElement("script");
    document.createElement("IMG");
    document.createElement("div");
    return { ...c.calls, total: c.total() };
  } finally {
    c.uninstall();
  }
}

function catalog() {
  const cats = ["Beauty > Skin Care > Serums", "Beauty > Hair", "Kitchen > Pans", "Shoes > Running"];
  return Array.from({ length: 40 }, (_, i) => ({
    id: `sku-${i}`,
    title: `Product ${i}`,
    category: cats[i % cats.length],
    brand: `brand-${i % 5}`,
    price: 5 + i,
    inStock: i % 7 !== 0,
    rating: 3 + (i % 3) * 0.5,
    tags: [`t${i % 6}`],
  }));
}

/**
 * Runs the complete API under the counters. Returns the counts, the resource entries added,
 * and what the scenario did (so the Rust side can check it really ran).
 */
export async function fullApiUnderCounters(Core, dbName) {
  const LocalRec = bindLocalRec(Core, () => undefined);
  const resourcesBefore = performance.getEntriesByType("resource").length;
  const c = installNetworkCounters();
  const did = {};
  try {
    const now = Date.now();
    const rec = await LocalRec.create({ seed: 11, dbName });
    did.catalog = rec.loadCatalog(catalog()).accepted;
    try {
      rec.loadModel(new Uint8Array([1, 2, 3]));
      did.baseModel = "accepted";
    } catch (e) {
      did.baseModel = `rejected: ${e.message}`;
    }
    did.tracked = rec.track({ itemId: "sku-1", kind: "view", timestamp: now - 60_000 }, now).accepted;
    const kinds = ["view", "click", "add_to_cart", "purchase"];
    const many = Array.from({ length: 120 }, (_, i) => ({
      itemId: `sku-${(i * 7) % 40}`,
      kind: kinds[i % 4],
      timestamp: now - (120 - i) * 30_000,
    }));
    did.tracked += rec.trackMany(many, now).accepted;
    let progressCalls = 0;
    const trained = await rec.train({ maxSteps: 60, onProgress: () => progressCalls++ });
    did.trainSteps = trained.steps;
    did.progressCalls = progressCalls;
    did.recommended = rec.recommend({ k: 5 }).items.length;
    did.similar = rec.similar("sku-3", { k: 5 }).items.length;
    const model = rec.exportModel();
    did.modelBytes = model.length;
    did.importedParams = rec.importModel(model).params;
    did.eventBytes = rec.exportEvents().length;
    did.saved = (await rec.save()).events;
    const info = await rec.inspect();
    did.inspectedEvents = info.events;
    rec.free();
    const again = await LocalRec.create({ seed: 11, dbName });
    again.loadCatalog(catalog());
    const loaded = await again.load();
    did.loadedEvents = loaded.events;
    did.loadedModel = loaded.model;
    did.recommendedAfterLoad = again.recommend({ k: 5 }).items.length;
    const forgotten = await again.forget();
    did.forgetVerified = forgotten.verified;
    did.eventsAfterForget = (await again.inspect()).events;
    again.free();
  } finally {
    c.uninstall();
  }
  const resources = performance.getEntriesByType("resource").slice(resourcesBefore).map((e) => e.name);
  return { calls: c.calls, total: c.total(), details: c.details, resources, did };
}
