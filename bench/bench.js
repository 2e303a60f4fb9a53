// The benchmark page: localrec (wasm: its relaxed-SIMD build where supported, and the simd128 one) against TensorFlow.js 4.22.0 (wasm backend with SIMD on
// and one thread; cpu backend) on the same Float32Arrays, in the same page, in the same run.
//
// Every timing starts from JavaScript arrays and ends with the results back in JavaScript (a number or a
// Float32Array) for every library. Each measurement is repeated; the runner (bench/run.py) reports median
// and min–max and the ratios. Results land in `window.__bench` ({done, error, results}).
//
// Query options (defaults = the reference workload of issue 9):
//   n=20000 test=2000 dim=64 epochs=5 batch=64 lr=0.001   reference training set / held-out set / model
//   score=1000,10000                                      scoring sizes
//   pn=2000 pepochs=10                                    personalisation: new examples × epochs
//   reps=3 score_reps=15 min_sample_ms=25                 repetitions (training, personalisation / scoring)
//   warm_ms=2000                                          untimed warm-up fits before the timed training runs
//   libs=localrec,localrec-simd128,tfjs-wasm,tfjs-cpu     what to run
//   real=1 items=10000 events=200 k=20 chunk_ms=50       the real job with the package API (LocalRecCore)
//   profile=1                                             where localrec's training time goes
//   basemodel=1 sessions=20000                            the same on rec::BaseModel (pretrained in the page)
//   pkg=../target/bench/pkg/localrec.js                   the localrec build (with the `bench` feature)

import { readyFor } from '../js/load.js';

const params = new URLSearchParams(location.search);
const num = (k, d) => (params.has(k) ? Number(params.get(k)) : d);
const cfg = {
  n: num('n', 20000), test: num('test', 2000), dim: num('dim', 64), epochs: num('epochs', 5),
  batch: num('batch', 64), lr: num('lr', 1e-3),
  score: (params.get('score') || '1000,10000').split(',').map(Number),
  pn: num('pn', 2000), pepochs: num('pepochs', 10),
  reps: num('reps', 3), scoreReps: num('score_reps', 15), minSampleMs: num('min_sample_ms', 25),
  libs: (params.get('libs') || 'localrec,localrec-simd128,tfjs-wasm,tfjs-cpu').split(','),
  pkg: params.get('pkg') || '../target/bench/pkg/localrec.js',
  seed: num('seed', 42),
  profile: num('profile', 1), real: num('real', 1), basemodel: num('basemodel', 1), chunkMs: num('chunk_ms', 50), items: num('items', 10000), sessions: num('sessions', 20000), events: num('events', 200),
  k: num('k', 20), warmMs: num('warm_ms', 2000),
};

const state = (window.__bench = { done: false, error: null, results: null, progress: '' });
const logEl = document.getElementById('log');
function log(msg) {
  state.progress = msg;
  logEl.textContent += msg + '\n';
}
window.addEventListener('error', (e) => { state.error = String(e.message || e); });
window.addEventListener('unhandledrejection', (e) => { state.error = `${e.reason}\n${(e.reason && e.reason.stack) || ''}`; });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// ---- data: seeded, identical for every library ------------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gaussian(rand) {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
// A planted linear signal (as nn::bench::planted_signal): x ~ N(0, 1)^d, y = [x·w + 0.1·ε > 0] for a random
// unit direction w, so a linear model reaches about 97 % accuracy.
function plantedWeights(dim, seed) {
  const rand = mulberry32(seed);
  const w = Float64Array.from({ length: dim }, () => gaussian(rand));
  const norm = Math.hypot(...w) || 1;
  return w.map((v) => v / norm);
}
function planted(n, w, seed, noise = 0.1) {
  const dim = w.length;
  const rand = mulberry32(seed);
  const x = new Float32Array(n * dim);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const v = gaussian(rand);
      x[i * dim + j] = v;
      s += v * w[j];
    }
    y[i] = s + noise * gaussian(rand) > 0 ? 1 : 0;
  }
  return { x, y, n };
}
function heldOut(probs, y) {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(Math.max(probs[i], 1e-7), 1 - 1e-7);
    loss -= y[i] ? Math.log(p) : Math.log(1 - p);
    if ((probs[i] > 0.5) === (y[i] > 0.5)) correct++;
  }
  return { loss: loss / y.length, accuracy: correct / y.length };
}
function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length, samples };
}
// Times `fn` (synchronous or async) `reps` times; each sample repeats it `inner` times so that it lasts at
// least min_sample_ms (the browser clock may be coarse), and reports milliseconds per call.
async function timeCalls(fn, reps, minSampleMs) {
  for (let i = 0; i < 3; i++) await fn(); // warm-up
  let inner = 1;
  const t0 = now();
  await fn();
  const once = Math.max(now() - t0, 1e-3);
  inner = Math.max(1, Math.ceil(minSampleMs / once));
  const samples = [];
  for (let r = 0; r < reps; r++) {
    await sleep(0);
    const start = now();
    for (let i = 0; i < inner; i++) await fn();
    samples.push((now() - start) / inner);
  }
  return { ...stats(samples), inner };
}

// ---- the libraries behind one interface ---------------------------------------------------------------
// create() -> model; fit(model, x, y, n, epochs) -> last training loss; predict(model, x, n) -> Float32Array;
// snapshot(model) / restore(model, snap) -> model (outside the timings).
function localrecLib(mod) {
  return {
    name: 'localrec',
    create: () => mod.BenchMlp.reference(cfg.dim, cfg.seed),
    fit: async (m, x, y, n, epochs) => m.fit(x, y, epochs, cfg.batch, cfg.lr, cfg.seed + 1),
    predict: async (m, x) => m.predict(x),
    snapshot: (m) => m.save(),
    restore: (m, snap) => { m.free(); return mod.BenchMlp.load(snap); },
    dispose: (m) => m.free(),
  };
}
function tfjsLib(backend) {
  const tf = window.tf;
  return {
    name: `tfjs-${backend}`,
    create: () => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [cfg.dim] }));
      model.add(tf.layers.dense({ units: 32, activation: 'relu' }));
      model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
      model.compile({ optimizer: tf.train.adam(cfg.lr), loss: 'binaryCrossentropy' });
      return model;
    },
    fit: async (model, x, y, n, epochs) => {
      const xs = tf.tensor2d(x, [n, cfg.dim]);
      const ys = tf.tensor2d(y, [n, 1]);
      const h = await model.fit(xs, ys, { epochs, batchSize: cfg.batch, shuffle: true, verbose: 0 });
      xs.dispose();
      ys.dispose();
      return h.history.loss[h.history.loss.length - 1];
    },
    predict: async (model, x, n) => {
      const out = tf.tidy(() => model.predict(tf.tensor2d(x, [n, cfg.dim]), { batchSize: n }));
      const data = out.dataSync();
      out.dispose();
      return data;
    },
    snapshot: (model) => model.getWeights().map((t) => t.clone()),
    restore: (model, snap) => { model.setWeights(snap); return model; },
    dispose: (model) => model.dispose(),
  };
}

async function useBackend(name) {
  const tf = window.tf;
  if (!tf) throw new Error('TensorFlow.js did not load (run `npm ci` in bench/)');
  if (name === 'wasm') {
    tf.wasm.setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
    // One thread: the non-threaded SIMD binary (the page is not cross-origin isolated either).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
  const info = { backend: tf.getBackend(), tfjs: tf.version.tfjs };
  if (name === 'wasm') {
    info.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    info.threads = tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : null;
  }
  return info;
}

// ---- the workloads ------------------------------------------------------------------------------------
async function runLib(lib, data, memory) {
  const out = { memory_bytes: {} };
  const mem = (when) => { if (memory) out.memory_bytes[when] = memory(); };
  mem('start');

  // 1. Reference training, from scratch each repetition.
  log(`${lib.name}: training ${cfg.n} × ${cfg.epochs} epochs, ${cfg.reps} repetitions`);
  const trainMs = [];
  let model = null;
  let lastLoss = NaN;
  // Warm-up (untimed, every library alike): a short fit so that the engines' optimising compilers
  // (Firefox compiles wasm with a baseline tier first and the optimised code in the background) and
  // the libraries' lazy set-up are done before the clock starts.
  // Short fits are repeated for at least `warm_ms` (default 2 s): measured in Firefox, localrec's first full
  // run after a single short warm-up was still ~40 % slower than the fifth (tier-up still in progress).
  {
    const warm = lib.create();
    const wn = Math.min(cfg.n, 2048);
    const until = now() + cfg.warmMs;
    let fits = 0;
    do {
      await lib.fit(warm, data.train.x.subarray(0, wn * cfg.dim), data.train.y.subarray(0, wn), wn, 2);
      fits += 1;
      await sleep(0);
    } while (now() < until);
    lib.dispose(warm);
    log(`  warm-up: ${fits} short fits`);
    await sleep(50);
  }
  for (let r = 0; r < cfg.reps; r++) {
    if (model) lib.dispose(model);
    model = lib.create();
    await sleep(0);
    const t0 = now();
    lastLoss = await lib.fit(model, data.train.x, data.train.y, cfg.n, cfg.epochs);
    trainMs.push(now() - t0);
  }
  const probs = await lib.predict(model, data.test.x, cfg.test);
  const ho = heldOut(probs, data.test.y);
  const samples = cfg.n * cfg.epochs;
  out.train = {
    ms: stats(trainMs),
    samples_per_s: stats(trainMs.map((ms) => (samples / ms) * 1000)),
    final_loss: lastLoss, heldout_loss: ho.loss, heldout_accuracy: ho.accuracy,
  };
  log(`  ${(samples / out.train.ms.median * 1000).toFixed(0)} samples/s, loss ${lastLoss.toFixed(4)}, held-out accuracy ${ho.accuracy.toFixed(3)}`);
  mem('after_train');

  // 2. Scoring, after warm-up, one call per batch of n.
  out.score = {};
  for (const n of cfg.score) {
    const x = data.score.x.subarray(0, n * cfg.dim);
    let check = null;
    const t = await timeCalls(async () => { check = await lib.predict(model, x, n); }, cfg.scoreReps, cfg.minSampleMs);
    if (!check || check.length !== n || !Number.isFinite(check[n - 1])) throw new Error(`${lib.name}: scoring ${n} gave a bad result`);
    out.score[n] = { ms: t };
    log(`  score ${n}: ${t.median.toFixed(3)} ms (×${t.inner} per sample)`);
  }
  mem('after_score');

  // 3. Personalisation: continue training the trained model; restored before each repetition.
  log(`${lib.name}: personalising ${cfg.pn} × ${cfg.pepochs} epochs`);
  const snap = lib.snapshot(model);
  const personaliseMs = [];
  let pLoss = NaN;
  for (let r = 0; r < cfg.reps; r++) {
    model = lib.restore(model, snap);
    await sleep(0);
    const t0 = now();
    pLoss = await lib.fit(model, data.personal.x, data.personal.y, cfg.pn, cfg.pepochs);
    personaliseMs.push(now() - t0);
  }
  const pProbs = await lib.predict(model, data.personalTest.x, data.personalTest.n);
  const pHo = heldOut(pProbs, data.personalTest.y);
  out.personalise = { ms: stats(personaliseMs), final_loss: pLoss, heldout_loss: pHo.loss, heldout_accuracy: pHo.accuracy };
  log(`  ${out.personalise.ms.median.toFixed(1)} ms, held-out accuracy ${pHo.accuracy.toFixed(3)}`);
  mem('after_personalise');
  lib.dispose(model);
  if (Array.isArray(snap)) snap.forEach((t) => t.dispose());
  return out;
}

// Where localrec's training time goes: the MLP issue's own timing loop run inside wasm (nn::bench, its own
// data, no JavaScript in the loop), and one epoch at several batch sizes (per-batch overhead vs kernels).
async function profileLocalrec(mod, data) {
  log('localrec: profile (in-wasm reference loop, batch sizes)');
  await sleep(0);
  const out = { in_wasm: mod.runReference(cfg.n, cfg.epochs, cfg.reps), batch_sweep: {} };
  for (const b of [16, 64, 256, 1024]) {
    const speeds = [];
    for (let r = 0; r < cfg.reps; r++) {
      const m = mod.BenchMlp.reference(cfg.dim, cfg.seed);
      await sleep(0);
      const t0 = now();
      m.fit(data.train.x, data.train.y, 1, b, cfg.lr, cfg.seed);
      speeds.push((cfg.n / (now() - t0)) * 1000);
      m.free();
    }
    out.batch_sweep[b] = { samples_per_s: stats(speeds) };
  }
  log(`  in wasm: ${out.in_wasm.trainSamplesPerSec.toFixed(0)} samples/s, score 10k ${out.in_wasm.score10kMs.toFixed(3)} ms`);
  return out;
}

// 4. The real job, through the package's own API (LocalRecCore, what `LocalRec` wraps): load a catalog of
// plain JS objects, track the shopper's events, fine-tune (trainStart + trainChunk until done), recommend.
// A fresh recommender per repetition; every step is timed from JS values to JS results.
function syntheticCatalog(n, seed) {
  const rand = mulberry32(seed);
  const items = [];
  for (let i = 0; i < n; i++) {
    const top = i % 12;
    const sub = Math.floor(i / 12) % 40;
    items.push({
      id: `sku-${i}`, title: `Product ${i}`, category: `Dept ${top} > Aisle ${top}-${sub % 8}`,
      brand: `Brand ${Math.floor(rand() * 150)}`, price: Math.round(5 + rand() * 300),
      tags: [`t${Math.floor(rand() * 60)}`, `t${Math.floor(rand() * 60)}`], inStock: rand() > 0.05,
      rating: Math.round((2.5 + rand() * 2.5) * 10) / 10,
    });
  }
  return items;
}
function syntheticEvents(n, items, seed, endMs) {
  const rand = mulberry32(seed);
  const kinds = ['view', 'view', 'view', 'view', 'click', 'click', 'add_to_cart', 'purchase'];
  // Two departments this shopper likes, plus some browsing anywhere.
  const likes = [Math.floor(rand() * 12), Math.floor(rand() * 12)];
  const events = [];
  for (let e = 0; e < n; e++) {
    let i = Math.floor(rand() * items);
    if (rand() < 0.8) i = likes[e % 2] + 12 * Math.floor(rand() * Math.floor(items / 12));
    events.push({ itemId: `sku-${Math.min(i, items - 1)}`, kind: kinds[Math.floor(rand() * kinds.length)],
      timestamp: endMs - (n - e) * 45000 });
  }
  return events;
}
async function packageJob(mod, memory) {
  log(`localrec: real job with the package API, ${cfg.items}-item catalog, ${cfg.events} events`);
  const nowMs = Date.now();
  const items = syntheticCatalog(cfg.items, cfg.seed);
  const events = syntheticEvents(cfg.events, cfg.items, cfg.seed + 11, nowMs);
  const steps = { load_catalog: [], track: [], fine_tune: [], recommend_first: [] };
  const out = { available: true, api: 'LocalRecCore (loadCatalog, trackMany, trainStart/trainChunk, recommend)',
    items: cfg.items, events: cfg.events, k: cfg.k, chunk_ms: cfg.chunkMs, memory_bytes: {} };
  let core = null;
  for (let r = 0; r < Math.max(cfg.reps, 3); r++) {
    if (core) core.free();
    await sleep(0);
    let t0 = now();
    core = new mod.LocalRecCore({ seed: cfg.seed });
    const catalog = core.loadCatalog(items);
    steps.load_catalog.push(now() - t0);
    t0 = now();
    const tracked = core.trackMany(events, nowMs);
    steps.track.push(now() - t0);
    t0 = now();
    let progress = core.trainStart();
    while (!progress.done) progress = core.trainChunk(cfg.chunkMs);
    steps.fine_tune.push(now() - t0);
    t0 = now();
    const recs = core.recommend({ k: cfg.k });
    steps.recommend_first.push(now() - t0);
    if (catalog.accepted !== cfg.items || tracked.accepted !== cfg.events || recs.items.length !== Math.min(cfg.k, cfg.items)) {
      throw new Error(`real job: catalog ${catalog.accepted}/${cfg.items}, events ${tracked.accepted}/${cfg.events}, ` +
        `${recs.items.length} recommendations`);
    }
    out.fine_tune_result = { steps: progress.steps, examples: progress.examples, stop: progress.stopReason,
      loss: progress.loss, model: recs.model };
  }
  for (const [k, v] of Object.entries(steps)) out[k] = { ms: stats(v) };
  let recs = null;
  out.recommend = { ms: await timeCalls(async () => { recs = core.recommend({ k: cfg.k }); }, cfg.scoreReps, cfg.minSampleMs) };
  out.sample = recs.items.slice(0, 3).map((x) => `${x.itemId}: ${x.reason}`);
  out.memory_bytes.after_real_job = memory();
  log(`  load ${out.load_catalog.ms.median.toFixed(1)} ms, track ${out.track.ms.median.toFixed(1)} ms, fine-tune ` +
      `${out.fine_tune.ms.median.toFixed(1)} ms (${out.fine_tune_result.steps} steps), recommend ${out.recommend.ms.median.toFixed(2)} ms`);
  core.free();
  return out;
}

// 5. The engine the package does not use yet: rec::BaseModel for a synthetic catalog (pretrained here, outside
// the timings), then the shopper's part from a Uint32Array of events: fine-tune, rank the top k, score all.
async function realJob(mod, memory) {
  log(`localrec: rec::BaseModel job, pretraining a synthetic ${cfg.items}-item catalog (${cfg.sessions} sessions; not timed)`);
  await sleep(0);
  let t0 = now();
  const cat = mod.BenchCatalog.synthetic(cfg.items, cfg.sessions, cfg.seed);
  const out = { available: true, api: 'rec::BaseModel (fine_tune, rank, score_all) via BenchCatalog', items: cat.itemCount(),
    events: cfg.events, setup_ms: now() - t0, memory_bytes: {} };
  const events = cat.shopperEvents(cfg.events, cfg.seed + 7);
  const fineMs = [];
  for (let r = 0; r < Math.max(cfg.reps, 3); r++) {
    await sleep(0);
    t0 = now();
    out.fine_tune_steps = cat.fineTune(events);
    fineMs.push(now() - t0);
  }
  out.fine_tune = { ms: stats(fineMs), rows: cat.lastFineTuneRows(), loss: cat.lastFineTuneLoss() };
  let top = null;
  out.rank = { k: cfg.k, ms: await timeCalls(async () => { top = cat.rank(events, cfg.k); }, cfg.scoreReps, cfg.minSampleMs) };
  let all = null;
  out.score_all = { ms: await timeCalls(async () => { all = cat.scoreAll(events); }, cfg.scoreReps, cfg.minSampleMs) };
  if (!top || top.length === 0 || !all || all.length !== cfg.items || !all.every(Number.isFinite)) {
    throw new Error('rec::BaseModel job: bad ranking results');
  }
  out.memory_bytes.after_real_job = memory();
  log(`  fine-tune ${out.fine_tune.ms.median.toFixed(1)} ms (${out.fine_tune_steps} steps), rank top ${cfg.k} ` +
      `${out.rank.ms.median.toFixed(2)} ms, score all ${out.score_all.ms.median.toFixed(2)} ms`);
  cat.free();
  return out;
}

async function main() {
  const t0 = now();
  const w = plantedWeights(cfg.dim, cfg.seed);
  // The shopper's signal: the population's, nudged.
  const rand = mulberry32(cfg.seed + 99);
  const nudged = w.map((v) => v + 0.1 * gaussian(rand));
  const nudgedNorm = Math.hypot(...nudged) || 1;
  const wPersonal = nudged.map((v) => v / nudgedNorm);
  const maxScore = Math.max(...cfg.score);
  const data = {
    train: planted(cfg.n, w, cfg.seed + 1),
    test: planted(cfg.test, w, cfg.seed + 2),
    score: planted(maxScore, w, cfg.seed + 3),
    personal: planted(cfg.pn, wPersonal, cfg.seed + 4),
    personalTest: planted(Math.max(cfg.test, 1), wPersonal, cfg.seed + 5),
  };
  const results = { config: cfg, user_agent: navigator.userAgent, libs: {}, env: {},
    real_job: { available: false, reason: 'not run (needs localrec in libs and real=1)' },
    base_model_job: { available: false, reason: 'not run (needs localrec in libs and basemodel=1)' } };
  for (const name of cfg.libs) {
    await sleep(0);
    if (name === 'localrec-simd128') {
      // A second instance of the glue module (another URL), initialised with the simd128 build.
      const mod = await import(`${cfg.pkg}?simd128`);
      const exports = await mod.default();
      results.env[name] = { version: mod.version(), simd: mod.simdLevel() };
      results.libs[name] = await runLib(localrecLib(mod), data, () => exports.memory.buffer.byteLength);
    } else if (name === 'localrec') {
      // What the package does (js/load.js): the relaxed-SIMD build where the browser supports it.
      const mod = await import(cfg.pkg);
      const relaxed = new URL(cfg.pkg.replace(/localrec\.js$/, 'localrec_bg_relaxed.wasm'), location.href);
      const exports = await readyFor(mod, relaxed)();
      results.env.localrec = { version: mod.version(), simd: mod.simdLevel() };
      const memory = () => exports.memory.buffer.byteLength;
      results.libs[name] = await runLib(localrecLib(mod), data, memory);
      if (cfg.profile) results.profile = await profileLocalrec(mod, data);
      if (cfg.real) results.real_job = await packageJob(mod, memory);
      if (cfg.basemodel) results.base_model_job = await realJob(mod, memory);
    } else if (name.startsWith('tfjs-')) {
      const backend = name.slice(5);
      results.env[name] = await useBackend(backend);
      results.libs[name] = await runLib(tfjsLib(backend), data, null);
    } else {
      throw new Error(`unknown library ${name} (localrec, tfjs-wasm, tfjs-cpu)`);
    }
  }
  results.total_ms = now() - t0;
  return results;
}

main().then(
  (results) => {
    state.results = results;
    state.done = true;
    const el = document.getElementById('status');
    el.dataset.state = 'ok';
    el.textContent = `done in ${(results.total_ms / 1000).toFixed(1)} s`;
  },
  (err) => {
    state.error = `${err}\n${(err && err.stack) || ''}`;
    state.done = true;
    const el = document.getElementById('status');
    el.dataset.state = 'error';
    el.textContent = `error: ${state.error}`;
  },
);
