// A promise-based client that runs LocalRec in a Web Worker and mirrors its API:
//
//   const rec = await LocalRecWorker.create({ seed: 1, dbName: "my-shop" });
//   await rec.loadCatalog(items);
//   await rec.track({ itemId: "sku-1", kind: "view", timestamp: Date.now() });
//   await rec.train({ maxMs: 500, onProgress: (p) => bar.value = p.steps, signal });
//   const { items: recs } = await rec.recommend({ k: 8 });
//
// Training runs in the worker, so the page never freezes; progress events cross back.

let nextId = 1;

export class LocalRecWorker {
  #port;
  #pending = new Map();
  #ownsWorker;

  constructor(port, ownsWorker) {
    this.#port = port;
    this.#ownsWorker = ownsWorker;
    const onMessage = (ev) => {
      const msg = ev.data || {};
      const call = this.#pending.get(msg.id);
      if (!call) return;
      if (msg.progress !== undefined) {
        if (call.onProgress) {
          try {
            call.onProgress(msg.progress);
          } catch (e) {
            // A throwing progress callback must not break the protocol.
            setTimeout(() => {
              throw e;
            });
          }
        }
        return;
      }
      this.#pending.delete(msg.id);
      if (call.cleanup) call.cleanup();
      if (msg.ok) call.resolve(msg.value);
      else {
        const err = new Error((msg.error && msg.error.message) || "localrec worker error");
        err.name = (msg.error && msg.error.name) || "Error";
        call.reject(err);
      }
    };
    port.addEventListener("message", onMessage);
    if (typeof port.start === "function") port.start();
    if (typeof port.addEventListener === "function" && ownsWorker) {
      port.addEventListener("error", (ev) => {
        const err = new Error(`localrec worker failed to start or crashed: ${ev.message || "unknown error"}`);
        for (const call of this.#pending.values()) call.reject(err);
        this.#pending.clear();
      });
    }
  }

  /**
   * Starts the worker and creates the recommender in it. Options: `worker` (an existing Worker or
   * MessagePort speaking the protocol of rpc.js), `workerUrl` (where worker.js is served, default
   * next to this file), `wasm` (passed to the module initialiser).
   */
  static async create(config, options) {
    const opts = options || {};
    let port = opts.worker;
    let owns = false;
    if (!port) {
      const url = opts.workerUrl || new URL("./worker.js", import.meta.url);
      port = new Worker(url, { type: "module" });
      owns = true;
    }
    const client = new LocalRecWorker(port, owns);
    await client.#call("create", [config, opts.wasm ? { wasm: opts.wasm } : undefined]);
    return client;
  }

  #call(method, args, extra) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, ...(extra || {}) });
      try {
        this.#port.postMessage({ id, method, args });
      } catch (e) {
        // Arguments that cannot be cloned (functions, DOM nodes, …).
        this.#pending.delete(id);
        reject(new TypeError(`localrec worker: cannot send the arguments of ${method}: ${e.message}`));
      }
      if (extra && extra.afterPost) extra.afterPost(id);
    });
  }

  config() { return this.#call("config", []); }
  loadCatalog(items) { return this.#call("loadCatalog", [items]); }
  loadModel(bytes) { return this.#call("loadModel", [bytes]); }
  track(event, nowMs) { return this.#call("track", [event, nowMs]); }
  trackMany(events, nowMs) { return this.#call("trackMany", [events, nowMs]); }
  recommend(options) { return this.#call("recommend", [options]); }
  similar(itemId, options) { return this.#call("similar", [itemId, options]); }
  exportModel() { return this.#call("exportModel", []); }
  importModel(bytes) { return this.#call("importModel", [bytes]); }
  exportEvents() { return this.#call("exportEvents", []); }
  save() { return this.#call("save", []); }
  load() { return this.#call("load", []); }
  forget() { return this.#call("forget", []); }
  inspect() { return this.#call("inspect", []); }

  /** Same as LocalRec.train; `onProgress` runs on the page, `signal` aborts in the worker. */
  train(options) {
    const { onProgress, signal, ...rest } = options || {};
    if (onProgress !== undefined && typeof onProgress !== "function") {
      return Promise.reject(new TypeError(`invalid onProgress = ${typeof onProgress}: must be a function`));
    }
    let onAbort = null;
    return this.#call("train", [rest], {
      onProgress,
      afterPost: (id) => {
        if (signal) {
          onAbort = () => this.#port.postMessage({ id, cancel: true });
          if (signal.aborted) onAbort();
          else signal.addEventListener("abort", onAbort, { once: true });
        }
      },
      cleanup: () => {
        if (signal && onAbort) signal.removeEventListener("abort", onAbort);
      },
    });
  }

  /** Frees the recommender and stops the worker. */
  async free() {
    try {
      await this.#call("free", []);
    } finally {
      if (this.#ownsWorker && typeof this.#port.terminate === "function") this.#port.terminate();
    }
  }
}
