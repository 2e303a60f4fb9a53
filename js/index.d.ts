// Types of the high-level API (index.js). The option and result shapes are generated from the
// Rust core into localrec.d.ts and re-exported here.
import type {
  LocalRecConfig, CatalogItem, CatalogReport, BaseModelReport, ShopperEvent, TrackReport, TrainBudget,
  TrainProgress, RecommendOptions, SimilarOptions, Recommendations, ModelReport, Inspection,
} from "./localrec.js";

export type * from "./localrec.js";
export { version, selfCheck, simdLevel, LocalRecCore } from "./localrec.js";
/** True when this browser's WebAssembly has relaxed SIMD (then the faster localrec_bg_relaxed.wasm is loaded). */
export function supportsRelaxedSimd(): boolean;
export { LocalRecWorker } from "./client.js";

/** What `init.wasm` may be: where or what the module's .wasm is (default: localrec_bg_relaxed.wasm next to
 * localrec.js where the browser supports relaxed SIMD, else localrec_bg.wasm). */
export type WasmSource = string | URL | Request | Response | BufferSource | WebAssembly.Module;

/** The core config plus the IndexedDB database name. */
export interface LocalRecOptions extends LocalRecConfig {
  /** IndexedDB database of this shop (default "localrec"). */
  dbName?: string;
}

export interface TrainOptions extends TrainBudget {
  /** Called after every chunk (on the page, also with LocalRecWorker). */
  onProgress?: (progress: TrainProgress) => void;
  /** Cancels between chunks; the model keeps what it learned. */
  signal?: AbortSignal;
  /** Milliseconds of training per chunk before yielding to the event loop (default 8). */
  chunkMs?: number;
}

export interface TrainStep {
  epoch: number;
  batch: number;
  steps: number;
  loss: number;
  elapsedMs: number;
}

export interface TrainResult extends TrainProgress {
  /** True when `signal` aborted the run. */
  cancelled: boolean;
  /** Progress after each chunk. */
  history: TrainStep[];
}

export interface SaveResult {
  /** Events written by this call. */
  events: number;
  /** Size of the model record written (0: none trained yet). */
  modelBytes: number;
}

export interface CorruptRecord {
  key: string;
  reason: string;
}

export interface LoadResult {
  /** Events in memory after the merge. */
  events: number;
  /** Events added from storage. */
  added: number;
  /** Stored events already in memory (same event id). */
  duplicates: number;
  /** Records that failed their checks: reported, skipped and deleted. */
  corrupt: CorruptRecord[];
  /** The stored fine-tuned model: none stored, loaded, malformed, or rejected (see modelError). */
  model: "none" | "loaded" | "corrupt" | "rejected";
  modelError?: string;
}

export interface ForgetResult {
  deleted: true;
  /** True when the browser confirms the database is gone; null where it cannot tell. */
  verified: boolean | null;
}

export interface StoredUsage {
  eventRecords: number;
  eventBytes: number;
  modelRecords: number;
  modelBytes: number;
}

export interface LocalInspection extends Inspection {
  dbName: string;
  /** What IndexedDB holds (null when the database does not exist). */
  stored: StoredUsage | { error: string } | null;
}

/** The recommender of one shopper, on the main thread. */
export declare class LocalRec {
  private constructor();
  /** Creates a recommender (initialising the wasm module on first use). */
  static create(config?: LocalRecOptions, init?: { wasm?: WasmSource }): Promise<LocalRec>;
  readonly dbName: string;
  config(): Required<LocalRecConfig>;
  loadCatalog(items: CatalogItem[]): CatalogReport;
  /** Loads the shop's base model bytes (made by `localrec pretrain`). */
  loadModel(bytes: Uint8Array | ArrayBuffer): BaseModelReport;
  track(event: ShopperEvent, nowMs?: number): TrackReport;
  trackMany(events: ShopperEvent[], nowMs?: number): TrackReport;
  train(options?: TrainOptions): Promise<TrainResult>;
  recommend(options?: RecommendOptions): Recommendations;
  similar(itemId: string, options?: SimilarOptions): Recommendations;
  exportModel(): Uint8Array;
  importModel(bytes: Uint8Array | ArrayBuffer): ModelReport;
  exportEvents(): Uint8Array;
  save(): Promise<SaveResult>;
  load(): Promise<LoadResult>;
  forget(): Promise<ForgetResult>;
  inspect(): Promise<LocalInspection>;
  free(): void;
}
