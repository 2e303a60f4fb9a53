// localrec: on-device product recommendations. The main entry of the npm package.
//
//   import { LocalRec } from "localrec";              // on the main thread (small jobs)
//   import { LocalRecWorker } from "localrec/client"; // the same API in a Web Worker
//
// The package fetches nothing itself except its own .wasm (next to this file, or what you pass as
// `init.wasm`); the shop passes catalog and model bytes in. See EXAMPLE.md.
import * as glue from "./localrec.js";
import { bindLocalRec } from "./api.js";
import { readyFor } from "./load.js";

const ready = readyFor(glue, new URL("./localrec_bg_relaxed.wasm", import.meta.url));

/** The high-level recommender (see index.d.ts). */
export const LocalRec = bindLocalRec(glue.LocalRecCore, ready);
export { LocalRecWorker } from "./client.js";
export { version, selfCheck, simdLevel, LocalRecCore } from "./localrec.js";
export { supportsRelaxedSimd } from "./load.js";
