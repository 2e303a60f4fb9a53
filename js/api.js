// The high-level LocalRec class: the wasm core + IndexedDB storage + training that yields to the
// event loop. Built by bindLocalRec(Core, ready) so the same code runs with the package's glue
// (index.js), inside the worker (worker.js), and in the browser tests (which pass their own Core).
//
// Nothing here uses the network: the shop passes catalog and model bytes in.

import * as storage from "./storage.js";

const DEFAULT_DB = "localrec";

/**
 * Resolves on the next turn of the event loop (a macrotask), so the page paints and handles input
 * and a worker receives messages such as a cancel request. (Not scheduler.yield(): its
 * continuations run before queued message events, which would starve a worker's cancel message.)
 */
export function yieldToEventLoop() {
  if (typeof MessageChannel === "function") {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Returns the LocalRec class bound to a wasm core class and an async `ready(wasm)` that
 * initialises the module (called once, before the first instance).
 */
export function bindLocalRec(Core, ready) {
  let initialised = null;

  class LocalRec {
    #core;
    #dbName;
    #db = null;
    #training = false;

    /** Use `await LocalRec.create(config)`. */
    constructor(core, dbName) {
      this.#core = core;
      this.#dbName = dbName;
    }

    /**
     * Creates a recommender. `config` = the core config (seed, hidden, fineTune, halfLifeDays, …)
     * plus `dbName` (IndexedDB database name, default "localrec"). `init.wasm` optionally gives the
     * .wasm (URL, Response, bytes or WebAssembly.Module) for bundlers that move it.
     */
    static async create(config, init) {
      if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
        throw new TypeError(`invalid config = ${String(config).slice(0, 40)}: must be an object`);
      }
      const { dbName = DEFAULT_DB, ...coreConfig } = config || {};
      if (typeof dbName !== "string" || dbName.length === 0 || dbName.length > 200) {
        throw new TypeError(`invalid dbName = ${JSON.stringify(String(dbName)).slice(0, 60)}: must be a non-empty string of at most 200 characters`);
      }
      if (!initialised) {
        initialised = Promise.resolve(ready(init && init.wasm)).catch((e) => {
          initialised = null;
          throw e;
        });
      }
      await initialised;
      return new LocalRec(new Core(coreConfig), dbName);
    }

    get dbName() {
      return this.#dbName;
    }

    /** The effective configuration (defaults filled in). */
    config() {
      return this.#core.config();
    }

    /** Loads (or replaces) the shop's catalog: an array of {id, title, category, brand, price, …}. */
    loadCatalog(items) {
      return this.#core.loadCatalog(items);
    }

    /** Loads the shop's base model (bytes the shop fetched itself). */
    loadModel(bytes) {
      return this.#core.loadBaseModel(bytes);
    }

    /** Records one event: {itemId, kind, timestamp}. */
    track(event, nowMs) {
      return this.#core.track(event, nowMs);
    }

    /** Records many events at once (at most 10,000 per call). */
    trackMany(events, nowMs) {
      return this.#core.trackMany(events, nowMs);
    }

    /**
     * Fine-tunes on the local history in chunks of `chunkMs` (default 8 ms), yielding to the event
     * loop between chunks. `onProgress(progress)` is called after each chunk; `signal` (AbortSignal)
     * cancels between chunks — the model keeps what it learned so far and the result says
     * `cancelled: true`. Other fields (maxMs, epochs, maxSteps, learningRate, pull, negatives,
     * batchSize) override the configured budget.
     */
    async train(options) {
      const { onProgress, signal, chunkMs = 8, ...budget } = options || {};
      if (onProgress !== undefined && typeof onProgress !== "function") {
        throw new TypeError(`invalid onProgress = ${typeof onProgress}: must be a function`);
      }
      if (signal !== undefined && signal !== null && typeof signal.aborted !== "boolean") {
        throw new TypeError("invalid signal: must be an AbortSignal");
      }
      if (typeof chunkMs !== "number" || !Number.isFinite(chunkMs) || chunkMs < 0 || chunkMs > 10000) {
        throw new TypeError(`invalid chunkMs = ${String(chunkMs)}: must be a number in [0, 10000]`);
      }
      if (this.#training) throw new Error("localrec: train() is already running on this instance");
      this.#training = true;
      try {
        let progress = this.#core.trainStart(budget);
        const history = [];
        let cancelled = false;
        while (!progress.done) {
          if (signal && signal.aborted) {
            cancelled = true;
            break;
          }
          progress = this.#core.trainChunk(chunkMs);
          history.push({ epoch: progress.epoch, batch: progress.batch, steps: progress.steps, loss: progress.loss, elapsedMs: progress.elapsedMs });
          if (onProgress) onProgress(progress);
          await yieldToEventLoop();
        }
        return { ...progress, cancelled, history };
      } finally {
        this.#training = false;
      }
    }

    /** Recommended items: {items: [{itemId, score, reason, reasonKind, reasonItemId?}], note?, …}. */
    recommend(options) {
      return this.#core.recommend(options);
    }

    /** Items similar to one item (for a product page). */
    similar(itemId, options) {
      return this.#core.similar(itemId, options);
    }

    /** The fine-tuned model as bytes (versioned, checksummed). */
    exportModel() {
      return this.#core.exportModel();
    }

    /** Replaces the fine-tuned model with exported bytes (rejected if corrupt or for another catalog). */
    importModel(bytes) {
      return this.#core.importModel(bytes);
    }

    /** All local events as bytes (versioned, checksummed), e.g. for a download. */
    exportEvents() {
      return this.#core.exportEvents(false);
    }

    async #database() {
      if (!this.#db) this.#db = await storage.openDatabase(this.#dbName);
      return this.#db;
    }

    /**
     * Persists the events not saved yet and the fine-tuned model, in one IndexedDB transaction.
     * Resolves once committed: every event `track` accepted before the call is then durable.
     */
    async save() {
      const db = await this.#database();
      const events = this.#core.exportEvents(true);
      const pending = this.#core.inspect().unsavedEvents;
      let model = null;
      if (this.#core.inspect().modelBytes > 0) model = this.#core.exportModel();
      await storage.saveBatch(db, pending > 0 ? events : null, model);
      if (pending > 0) this.#core.markSaved(events);
      return { events: pending, modelBytes: model ? model.length : 0 };
    }

    /**
     * Loads what earlier visits (and other tabs) saved: merges every stored events batch (deduplicated
     * by event id), compacts them into one record, and restores the fine-tuned model. Corrupt records
     * are skipped, deleted and reported; a model for another catalog is reported and ignored.
     */
    async load() {
      const db = await this.#database();
      const corrupt = [];
      let added = 0;
      let duplicates = 0;
      const core = this.#core;
      await storage.compactEvents(db, (records) => {
        const drop = [];
        for (const r of records) {
          if (!r.valid) {
            corrupt.push({ key: r.key, reason: "malformed record (not a localrec events batch)" });
            drop.push(r.key);
            continue;
          }
          try {
            const rep = core.importEvents(r.value.bytes);
            added += rep.added;
            duplicates += rep.duplicates;
            drop.push(r.key);
          } catch (e) {
            corrupt.push({ key: r.key, reason: e.message });
            drop.push(r.key);
          }
        }
        // Nothing to compact — unless this instance holds events not stored yet: markSaved() below
        // marks everything in memory as saved, so they must be written here (else they are lost).
        if (records.length <= 1 && corrupt.length === 0 && core.inspect().unsavedEvents === 0) {
          return { bytes: null, dropKeys: [] };
        }
        const merged = core.exportEvents(false);
        return { bytes: core.inspect().events > 0 ? merged : null, dropKeys: drop };
      });
      // Everything in the store now (merged batch) counts as saved.
      core.markSaved(core.exportEvents(false));
      let model = "none";
      let modelError;
      const stored = await storage.loadModel(db);
      if (stored && stored.corrupt) {
        model = "corrupt";
        modelError = "malformed model record";
        await storage.deleteModel(db);
      } else if (stored) {
        try {
          core.importModel(stored.bytes);
          model = "loaded";
        } catch (e) {
          model = "rejected";
          modelError = e.message;
        }
      }
      const result = { events: core.inspect().events, added, duplicates, corrupt, model };
      if (modelError) result.modelError = modelError;
      return result;
    }

    /**
     * Deletes everything stored for this shopper: events, profile and model in memory, and the
     * IndexedDB database. Resolves to {deleted, verified}: verified is true when the browser
     * confirms the database no longer exists (null where it cannot tell).
     */
    async forget() {
      this.#core.forget();
      if (this.#db) {
        this.#db.close();
        this.#db = null;
      }
      await storage.deleteDatabase(this.#dbName);
      const exists = await storage.databaseExists(this.#dbName);
      return { deleted: true, verified: exists === null ? null : !exists };
    }

    /** What is stored locally (counts, date range, sizes), plus what IndexedDB holds. */
    async inspect() {
      const info = this.#core.inspect();
      let stored = null;
      const exists = await storage.databaseExists(this.#dbName).catch(() => null);
      if (exists !== false) {
        try {
          stored = await storage.usage(await this.#database());
        } catch (e) {
          stored = { error: e.message };
        }
      }
      return { ...info, dbName: this.#dbName, stored };
    }

    /** Releases the wasm memory and closes the database. The instance is unusable afterwards. */
    free() {
      if (this.#db) {
        this.#db.close();
        this.#db = null;
      }
      if (this.#core) {
        this.#core.free();
        this.#core = null;
      }
    }
  }

  return LocalRec;
}
