// Types of the worker client (client.js): the LocalRec API, every method returning a promise.
import type {
  LocalRecConfig, CatalogItem, CatalogReport, BaseModelReport, ShopperEvent, TrackReport,
  RecommendOptions, SimilarOptions, Recommendations, ModelReport,
} from "./localrec.js";
import type { LocalRecOptions, TrainOptions, TrainResult, SaveResult, LoadResult, ForgetResult, LocalInspection, WasmSource } from "./index.js";

export interface WorkerOptions {
  /** An existing Worker (or MessagePort) speaking the protocol of rpc.js. */
  worker?: Worker | MessagePort;
  /** Where worker.js is served (default: next to client.js). */
  workerUrl?: string | URL;
  /** Passed to the module initialiser inside the worker. */
  wasm?: WasmSource;
}

export declare class LocalRecWorker {
  private constructor();
  static create(config?: LocalRecOptions, options?: WorkerOptions): Promise<LocalRecWorker>;
  config(): Promise<Required<LocalRecConfig>>;
  loadCatalog(items: CatalogItem[]): Promise<CatalogReport>;
  loadModel(bytes: Uint8Array | ArrayBuffer): Promise<BaseModelReport>;
  track(event: ShopperEvent, nowMs?: number): Promise<TrackReport>;
  trackMany(events: ShopperEvent[], nowMs?: number): Promise<TrackReport>;
  train(options?: TrainOptions): Promise<TrainResult>;
  recommend(options?: RecommendOptions): Promise<Recommendations>;
  similar(itemId: string, options?: SimilarOptions): Promise<Recommendations>;
  exportModel(): Promise<Uint8Array>;
  importModel(bytes: Uint8Array | ArrayBuffer): Promise<ModelReport>;
  exportEvents(): Promise<Uint8Array>;
  save(): Promise<SaveResult>;
  load(): Promise<LoadResult>;
  forget(): Promise<ForgetResult>;
  inspect(): Promise<LocalInspection>;
  /** Frees the recommender and stops the worker. */
  free(): Promise<void>;
}
