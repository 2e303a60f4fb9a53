// Browser test scenarios of the JS API (api.js, storage.js, rpc.js, client.js), driven from
// tests/web_api.rs (wasm-bindgen-test in headless Firefox). Not shipped in the npm package.
// Each scenario throws on failure (the message says what) and returns counts the Rust side checks.

import { bindLocalRec, yieldToEventLoop } from "../api.js";
import * as storage from "../storage.js";
import { serve } from "../rpc.js";
import { LocalRecWorker } from "../client.js";

const T0 = 1.7e12;

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

/** 6 categories x 10 items, brands alternating, prices and stock varied. */
export function makeCatalog() {
  const cats = ["Shoes > Running", "Shoes > Hiking", "Kitchen > Pans", "Garden > Tools", "Beauty > Serums", "Books > Crime"];
  const items = [];
  cats.forEach((c, ci) => {
    for (let n = 0; n < 10; n++) {
      items.push({
        id: `sku-${ci}-${n}`,
        title: `${c.split(" > ")[1]} ${n}`,
        category: c,
        brand: `Brand${(ci + n) % 4}`,
        price: 10 + ci * 15 + n,
        inStock: n % 5 !== 4,
        rating: 3 + (n % 3) * 0.5,
        tags: [`tag${n % 3}`],
      });
    }
  });
  return items;
}

function bound(Core) {
  return bindLocalRec(Core, async () => {});
}

function uniqueDb(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function views(prefix, n, start = 0) {
  return Array.from({ length: n }, (_, i) => ({ itemId: `${prefix}-${i % 10}`, kind: "view", timestamp: T0 + (start + i) * 60000 }));
}

/** Tracking, training with progress and cancellation, recommendations, save/load across a reload, forget. */
export async function apiRoundTrip(Core) {
  const LocalRec = bound(Core);
  const dbName = uniqueDb("roundtrip");
  const rec = await LocalRec.create({ seed: 7, dbName });
  const report = rec.loadCatalog(makeCatalog());
  check(report.accepted === 60 && report.rejected.length === 0, `catalog report ${JSON.stringify(report)}`);
  const cold = rec.recommend({ k: 5 });
  check(cold.items.length === 5 && cold.model === "prior", "cold list");

  const t = rec.trackMany(views("sku-2", 6), T0 + 3600e3);
  check(t.accepted === 6, `trackMany accepted ${t.accepted}`);
  const one = rec.track({ itemId: "nope", kind: "view", timestamp: T0 }, T0 + 3600e3);
  check(one.accepted === 0 && one.rejected[0].reason.includes("unknown item id"), "unknown id is a counted rejection");
  const warm = rec.recommend({ k: 5 });
  check(JSON.stringify(warm.items) !== JSON.stringify(cold.items), "first events change the list");
  check(warm.items.every((x) => x.itemId.startsWith("sku-2-")), `warm list follows the taste: ${warm.items.map((x) => x.itemId)}`);
  const named = warm.items.filter((x) => x.reasonItemId);
  check(named.length > 0 && named.every((x) => x.reasonItemId.startsWith("sku-2-")), "reasons name viewed items");

  // Training with progress.
  let calls = 0;
  const trained = await rec.train({ epochs: 3, maxMs: 5000, chunkMs: 1, onProgress: (p) => { calls++; check(Number.isFinite(p.loss), "finite loss"); } });
  check(trained.done && !trained.cancelled && calls > 0 && calls === trained.history.length, `progress calls ${calls}`);
  check(trained.epochLosses.length === 3, `epoch losses ${trained.epochLosses}`);

  // Cancellation between chunks.
  const ctl = new AbortController();
  let seen = 0;
  const cancelled = await rec.train({ epochs: 1000, maxSteps: 1e6, maxMs: 60000, chunkMs: 0, signal: ctl.signal, onProgress: () => { if (++seen === 3) ctl.abort(); } });
  check(cancelled.cancelled && !cancelled.done && seen === 3, `cancelled after 3 chunks: ${seen}, ${JSON.stringify({ c: cancelled.cancelled, d: cancelled.done })}`);
  const preAborted = await rec.train({ signal: AbortSignal.abort() });
  check(preAborted.cancelled && preAborted.steps === 0, "a pre-aborted signal trains nothing");

  const before = rec.recommend({ k: 8 });
  const saved = await rec.save();
  check(saved.events === 6 && saved.modelBytes > 0, `saved ${JSON.stringify(saved)}`);
  const again = await rec.save();
  check(again.events === 0, "a second save writes no events twice");
  rec.free();

  // A reload: a new instance, same database.
  const rec2 = await LocalRec.create({ seed: 7, dbName });
  rec2.loadCatalog(makeCatalog());
  const loaded = await rec2.load();
  check(loaded.events === 6 && loaded.model === "loaded" && loaded.corrupt.length === 0, `load ${JSON.stringify(loaded)}`);
  const after = rec2.recommend({ k: 8 });
  check(JSON.stringify(after.items) === JSON.stringify(before.items), "same list after the reload");
  const info = await rec2.inspect();
  check(info.events === 6 && info.fineTuned && info.stored.eventRecords === 1 && info.stored.eventBytes > 0, `inspect ${JSON.stringify(info)}`);

  // forget(): nothing left, verifiably.
  const gone = await rec2.forget();
  check(gone.deleted && gone.verified === true, `forget ${JSON.stringify(gone)}`);
  check((await storage.databaseExists(dbName)) === false, "database deleted");
  const empty = await rec2.inspect();
  check(empty.events === 0 && !empty.fineTuned && empty.stored === null, `inspect after forget ${JSON.stringify(empty)}`);
  check((await storage.databaseExists(dbName)) === false, "inspect does not recreate the database");
  rec2.free();
  const rec3 = await LocalRec.create({ seed: 7, dbName });
  rec3.loadCatalog(makeCatalog());
  const fresh = await rec3.load();
  check(fresh.events === 0 && fresh.model === "none", "a new visit after forget starts empty");
  check(JSON.stringify(rec3.recommend({ k: 5 }).items) === JSON.stringify(cold.items), "back to the cold-start list");
  await rec3.forget();
  rec3.free();
  return { progressCalls: calls, cancelledAfter: seen };
}

/** Two tabs of the same shop save interleaved; a reload sees the union, each event once. */
export async function twoTabs(Core) {
  const LocalRec = bound(Core);
  const dbName = uniqueDb("tabs");
  const a = await LocalRec.create({ seed: 1, dbName });
  const b = await LocalRec.create({ seed: 1, dbName });
  a.loadCatalog(makeCatalog());
  b.loadCatalog(makeCatalog());
  a.trackMany(views("sku-0", 5), T0 + 1e9);
  b.trackMany(views("sku-3", 7, 100), T0 + 1e9);
  await Promise.all([a.save(), b.save()]);
  a.trackMany(views("sku-1", 3, 200), T0 + 1e9);
  // b loads (compacting) while a saves again: both transactions serialise.
  await Promise.all([a.save(), b.load()]);
  const c = await LocalRec.create({ seed: 1, dbName });
  c.loadCatalog(makeCatalog());
  const loaded = await c.load();
  check(loaded.events === 15, `union of both tabs: ${JSON.stringify(loaded)}`);
  const db = await storage.openDatabase(dbName);
  const use = await storage.usage(db);
  db.close();
  check(use.eventRecords === 1, `compacted into one record: ${JSON.stringify(use)}`);
  for (const r of [a, b]) r.free();
  await c.forget();
  c.free();
  return loaded.events;
}

/** Corrupt records are detected, reported and skipped; the good ones are kept. */
export async function corruptRecords(Core) {
  const LocalRec = bound(Core);
  const dbName = uniqueDb("corrupt");
  const a = await LocalRec.create({ seed: 1, dbName });
  a.loadCatalog(makeCatalog());
  a.trackMany(views("sku-4", 4), T0 + 1e9);
  await a.train({ epochs: 1 });
  await a.save();
  const good = a.exportEvents();
  const db = await storage.openDatabase(dbName);
  const flipped = good.slice();
  flipped[flipped.length - 10] ^= 0x40;
  await storage.putRawEventRecord(db, { format: 1, bytes: flipped, savedAt: 0 });
  await storage.putRawEventRecord(db, { format: 1, bytes: good.slice(0, 20), savedAt: 0 });
  await storage.putRawEventRecord(db, "not a record");
  await storage.putRawModelRecord(db, { format: 99 });
  db.close();
  a.free();
  const b = await LocalRec.create({ seed: 1, dbName });
  b.loadCatalog(makeCatalog());
  const loaded = await b.load();
  check(loaded.events === 4, `good events kept: ${JSON.stringify(loaded)}`);
  check(loaded.corrupt.length === 3, `three corrupt records reported: ${JSON.stringify(loaded.corrupt)}`);
  check(loaded.corrupt.some((c) => c.reason.includes("checksum")), "checksum failure named");
  check(loaded.model === "corrupt", `corrupt model reported: ${loaded.model}`);
  // A model saved for another catalog: rejected, the recommender stays usable (cold model).
  await b.train({ epochs: 1 });
  await b.save();
  b.free();
  const c = await LocalRec.create({ seed: 1, dbName });
  c.loadCatalog(makeCatalog().slice(0, 30));
  const other = await c.load();
  check(other.model === "rejected" && other.modelError.includes("another catalog"), `foreign model: ${JSON.stringify(other)}`);
  check(c.recommend({ k: 3 }).items.length === 3, "still recommends");
  // Storage errors are clear Errors.
  let named = false;
  try {
    await storage.openDatabase("");
  } catch (e) {
    named = e instanceof TypeError && e.message.includes("dbName");
  }
  check(named, "bad dbName is a clear error");
  await c.forget();
  c.free();
  return loaded.corrupt.length;
}

/** The worker client over a MessageChannel, served by rpc.js in this page (the same code worker.js runs). */
export async function workerClient(Core) {
  const LocalRec = bound(Core);
  const { port1, port2 } = new MessageChannel();
  const stop = serve(port2, LocalRec);
  const dbName = uniqueDb("worker");
  const rec = await LocalRecWorker.create({ seed: 3, dbName }, { worker: port1 });
  const rep = await rec.loadCatalog(makeCatalog());
  check(rep.accepted === 60, "catalog through the worker");
  await rec.trackMany(views("sku-5", 8), T0 + 1e9);
  let progress = 0;
  const trained = await rec.train({ epochs: 2, chunkMs: 1, onProgress: () => progress++ });
  check(trained.done && progress > 0, `progress crossed back: ${progress}`);
  const ctl = new AbortController();
  let seen = 0;
  const cancelled = await rec.train({ epochs: 1000, maxSteps: 1e6, maxMs: 60000, chunkMs: 0, signal: ctl.signal, onProgress: () => { if (++seen === 2) ctl.abort(); } });
  check(cancelled.cancelled === true, "abort crosses to the worker");
  const recs = await rec.recommend({ k: 4 });
  check(recs.items.length === 4 && recs.items.every((x) => x.itemId.startsWith("sku-5-")), "recommendations through the worker");
  const sim = await rec.similar("sku-5-1", { k: 3 });
  check(sim.items.length === 3, "similar through the worker");
  const model = await rec.exportModel();
  check(model instanceof Uint8Array && model.length > 0, "bytes cross back");
  let err = null;
  try {
    await rec.recommend({ k: 0 });
  } catch (e) {
    err = e;
  }
  check(err instanceof Error && err.message.includes("invalid k = 0"), `errors cross back: ${err && err.message}`);
  let bad = null;
  try {
    await rec.train({ onProgress: 5 });
  } catch (e) {
    bad = e;
  }
  check(bad instanceof TypeError, "bad onProgress rejected");
  const saved = await rec.save();
  check(saved.events === 8, "save in the worker");
  const forgot = await rec.forget();
  check(forgot.verified === true, "forget in the worker");
  await rec.free();
  stop();
  port1.close();
  return progress;
}

/** Every method fed garbage: each call either returns or throws an Error; the instance still works. */
export async function garbage(Core) {
  const LocalRec = bound(Core);
  const dbName = uniqueDb("garbage");
  const rec = await LocalRec.create({ seed: 2, dbName });
  rec.loadCatalog(makeCatalog());
  const mega = "x".repeat(1 << 20);
  const deep = (() => {
    let o = {};
    const root = o;
    for (let i = 0; i < 10000; i++) {
      o.a = {};
      o = o.a;
    }
    return root;
  })();
  const cyclic = {};
  cyclic.self = cyclic;
  const values = [
    undefined, null, NaN, Infinity, -Infinity, -1, 0.5, 1e300, 0, "", mega, true, Symbol("s"), 10n,
    () => 1, [], [1, 2, 3], new Array(20000).fill({}), {}, { k: "x" }, { k: NaN }, { k: -3 }, { k: 2.5 },
    { k: 1e9 }, deep, cyclic, new Uint8Array(0), new Uint8Array([1, 2, 3]), new ArrayBuffer(8), new Date(),
    { itemId: mega, kind: "view", timestamp: T0 }, { itemId: "sku-0-0", kind: mega, timestamp: NaN },
    [{ itemId: 5 }], { filters: { minPrice: NaN } }, { filters: { categories: "Shoes" } }, { diversity: { mmrLambda: 2 } },
    { seed: -1 }, { hidden: [0] }, { hidden: new Array(1e5).fill(8) }, { unknownField: 1 }, { epochs: -1 },
    { maxMs: NaN }, { learningRate: Infinity },
  ];
  const methods = {
    loadCatalog: (v) => rec.loadCatalog(v),
    loadModel: (v) => rec.loadModel(v),
    track: (v) => rec.track(v),
    trackNow: (v) => rec.track({ itemId: "sku-0-0", kind: "view", timestamp: T0 }, v),
    trackMany: (v) => rec.trackMany(v),
    recommend: (v) => rec.recommend(v),
    similar: (v) => rec.similar(v),
    similarOpts: (v) => rec.similar("sku-0-1", v),
    importModel: (v) => rec.importModel(v),
    train: (v) => rec.train(v),
    createConfig: (v) => LocalRec.create(v),
    coreConstructor: (v) => new Core(v),
    coreTrainChunk: (v) => new Core(undefined).trainChunk(v),
    coreExportEvents: (v) => new Core(undefined).exportEvents(v),
    coreImportEvents: (v) => new Core(undefined).importEvents(v),
    coreMarkSaved: (v) => new Core(undefined).markSaved(v),
  };
  let calls = 0;
  let errors = 0;
  const bad = [];
  for (const [name, fn] of Object.entries(methods)) {
    for (const v of values) {
      calls++;
      try {
        const out = fn(v);
        if (out && typeof out.then === "function") {
          const r = await out;
          if (r && typeof r.free === "function" && name !== "coreConstructor") r.free();
        } else if (out && typeof out.free === "function") {
          out.free();
        }
      } catch (e) {
        errors++;
        if (!(e instanceof Error) || !e.message) bad.push(`${name}(${typeof v}): threw a non-Error ${String(e)}`);
        else if (/unreachable|RuntimeError|panicked/i.test(`${e.name} ${e.message}`)) bad.push(`${name}: ${e.name} ${e.message}`);
      }
    }
    // The instance still works after each method's garbage.
    const ok = rec.recommend({ k: 3 });
    if (ok.items.length !== 3) bad.push(`${name}: instance broken afterwards`);
  }
  check(bad.length === 0, bad.slice(0, 5).join("; "));
  // Messages name the field and the value.
  const msg = (f) => {
    try {
      f();
    } catch (e) {
      return e.message;
    }
    return "";
  };
  const named = [
    [msg(() => rec.recommend({ k: "x" })), "recommend options.k"],
    [msg(() => rec.recommend({ k: 0 })), "invalid k = 0"],
    [msg(() => rec.recommend({ filters: { minPrice: NaN } })), "filters.minPrice = NaN"],
    [msg(() => rec.trackMany(new Array(20000))), "events.length = 20000"],
    [msg(() => rec.similar(mega)), "itemId"],
    [msg(() => rec.importModel(new Uint8Array([1, 2, 3]))), "cannot decode"],
    [msg(() => new Core({ halfLifeDays: NaN })), "halfLifeDays = NaN"],
    [msg(() => new Core({ seedd: 1 })), "seedd"],
    [msg(() => rec.trackMany([{ itemId: 5 }])), "events[0].itemId = 5"],
  ];
  for (const [m, want] of named) check(m.includes(want), `message ${JSON.stringify(m.slice(0, 120))} should contain ${JSON.stringify(want)}`);
  const rep = rec.trackMany(views("sku-1", 5));
  check(rep.accepted === 5, "tracking works after garbage");
  await rec.train({ epochs: 1 });
  check(rec.recommend({ k: 5 }).items.every((x) => Number.isFinite(x.score)), "scores finite after garbage");
  await rec.forget();
  rec.free();
  return { calls, errors };
}

/** Runs the README example (its code, with `fetch` and `console` stubbed) and returns what it logged. */
export async function runExample(Core, body) {
  const LocalRec = bound(Core);
  const catalog = makeCatalog().concat([{ id: "sku-42", title: "Trail Shoe X", category: "Shoes > Running", brand: "Brand1", price: 99 }]);
  const requests = [];
  const fetchStub = async (url) => {
    requests.push(String(url));
    return { json: async () => catalog };
  };
  const logs = [];
  const consoleStub = { log: (...a) => logs.push(a.join(" ")) };
  const run = new Function("LocalRec", "fetch", "console", `return (async () => {\n${body}\n})();`);
  await run(LocalRec, fetchStub, consoleStub);
  const cleanup = await LocalRec.create({ dbName: "my-shop" });
  await cleanup.forget();
  cleanup.free();
  return { logs, requests };
}

export { yieldToEventLoop };
