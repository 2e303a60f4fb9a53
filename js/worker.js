// The Web Worker entry of localrec: runs the recommender off the main thread.
// Start it with `await LocalRecWorker.create(config)` from client.js (which does
// `new Worker(new URL("./worker.js", import.meta.url), { type: "module" })`).
import * as glue from "./localrec.js";
import { bindLocalRec } from "./api.js";
import { serve } from "./rpc.js";

// --target web glue exports an init function as default; bundler glue initialises itself.
const ready = (wasm) => (typeof glue.default === "function" ? glue.default(wasm ? { module_or_path: wasm } : undefined) : undefined);

serve(self, bindLocalRec(glue.LocalRecCore, ready));
