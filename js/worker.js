// The Web Worker entry of localrec: runs the recommender off the main thread.
// Start it with `await LocalRecWorker.create(config)` from client.js (which does
// `new Worker(new URL("./worker.js", import.meta.url), { type: "module" })`).
import * as glue from "./localrec.js";
import { bindLocalRec } from "./api.js";
import { readyFor } from "./load.js";
import { serve } from "./rpc.js";

// The .wasm is chosen in load.js (relaxed SIMD where supported); bundler glue initialises itself.
const ready = readyFor(glue, new URL("./localrec_bg_relaxed.wasm", import.meta.url));

serve(self, bindLocalRec(glue.LocalRecCore, ready));
