// The message protocol between LocalRecWorker (client.js, on the page) and the worker (worker.js).
//
// page -> worker: { id, method, args }          call a method (args structured-cloned)
//                 { id, cancel: true }           abort the train() call with this id
// worker -> page: { id, ok: true, value }        result (Uint8Array results are transferred)
//                 { id, ok: false, error: { name, message } }
//                 { id, progress }               train() progress, before the result

/** Methods the worker exposes (everything else is refused). */
export const METHODS = [
  "config", "loadCatalog", "loadModel", "track", "trackMany", "train", "recommend", "similar",
  "exportModel", "importModel", "exportEvents", "save", "load", "forget", "inspect", "free",
];

function errorInfo(e) {
  if (e && typeof e === "object") return { name: String(e.name || "Error"), message: String(e.message || e) };
  return { name: "Error", message: String(e) };
}

/**
 * Serves a LocalRec class on `port` (the worker global scope, or a MessagePort in tests).
 * The first call must be `create(config, init)`.
 */
export function serve(port, LocalRec) {
  let instance = null;
  const aborts = new Map();
  const reply = (msg, transfer) => port.postMessage(msg, transfer || []);
  const onMessage = async (ev) => {
    const msg = ev.data || {};
    const { id } = msg;
    if (msg.cancel) {
      const ctl = aborts.get(id);
      if (ctl) ctl.abort();
      return;
    }
    try {
      let value;
      const args = Array.isArray(msg.args) ? msg.args : [];
      if (msg.method === "create") {
        if (instance) instance.free();
        instance = await LocalRec.create(args[0], args[1]);
        value = true;
      } else if (!METHODS.includes(msg.method)) {
        throw new TypeError(`invalid method = ${JSON.stringify(String(msg.method)).slice(0, 60)}: not a LocalRec method`);
      } else if (!instance) {
        throw new Error("localrec worker: create() was not called (or failed)");
      } else if (msg.method === "train") {
        const ctl = new AbortController();
        aborts.set(id, ctl);
        try {
          const opts = { ...(args[0] || {}) };
          delete opts.onProgress;
          delete opts.signal;
          value = await instance.train({ ...opts, signal: ctl.signal, onProgress: (progress) => reply({ id, progress }) });
        } finally {
          aborts.delete(id);
        }
      } else {
        value = await instance[msg.method](...args);
        if (msg.method === "free") instance = null;
      }
      const transfer = value instanceof Uint8Array ? [value.buffer] : [];
      reply({ id, ok: true, value }, transfer);
    } catch (e) {
      reply({ id, ok: false, error: errorInfo(e) });
    }
  };
  port.addEventListener("message", onMessage);
  if (typeof port.start === "function") port.start();
  return () => port.removeEventListener("message", onMessage);
}
