//! TypeScript declarations of the option and result shapes, emitted into the
//! generated `localrec.d.ts`. They mirror the serde types of
//! `crate::recommender` (camelCase); keep both in step.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** How the recommender is built and learns. Every field is optional; unknown fields are an error. */
export interface LocalRecConfig {
  /** Seed of every random choice; default: random. Give one for reproducible lists. */
  seed?: number;
  /** Hidden layer widths of the re-ranking MLP, each 1..=256, at most 3. Default [16]. */
  hidden?: number[];
  /** Budget of on-device fine-tuning. */
  fineTune?: FineTuneConfig;
  /** Half-life of an event's influence in days. Default 14. */
  halfLifeDays?: number;
  /** Inactivity gap that starts a new session, in minutes. Default 30. */
  sessionGapMinutes?: number;
  /** Events kept locally (oldest dropped beyond). Default 5000. */
  maxEvents?: number;
  /** Largest catalog accepted. Default 200000. */
  maxCatalogItems?: number;
  /** Weight of each event kind in the profile. */
  kindWeights?: KindWeights;
}

export interface FineTuneConfig {
  /** Most gradient steps per run. Default 300. */
  maxSteps?: number;
  /** Most milliseconds per run (inside chunks). Default 2000. */
  maxMs?: number;
  /** Passes over the local examples. Default 6. */
  epochs?: number;
  /** SGD-with-momentum step size, in (0, 10]. Default 0.05. */
  learningRate?: number;
  /** L2 pull toward the weights training started from. Default 0.001. */
  pull?: number;
  /** Sampled negatives per positive, 1..=100. Default 4. */
  negatives?: number;
  /** Examples per step. Default 16. */
  batchSize?: number;
  /** Most recent events used for examples. Default 500. */
  maxExamples?: number;
  /** Share of negatives drawn from the prefix's candidates (the rest uniform), in [0, 1]. Default 0.5. */
  hardNegatives?: number;
}

export interface KindWeights {
  view?: number;
  click?: number;
  addToCart?: number;
  removeFromCart?: number;
  purchase?: number;
}

/** One product, as the shop ships it. Only `id` is required. */
export interface CatalogItem {
  id: string;
  title?: string;
  /** A path such as "Shoes > Running". */
  category?: string;
  brand?: string;
  price?: number;
  tags?: string[];
  inStock?: boolean;
  rating?: number;
  attributes?: Record<string, number>;
  image?: string;
}

export type EventKind = "view" | "click" | "add_to_cart" | "addToCart" | "remove_from_cart" | "removeFromCart" | "purchase";

/** One thing the shopper did. */
export interface ShopperEvent {
  itemId: string;
  kind: EventKind;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  dwellMs?: number;
  quantity?: number;
}

export interface Rejection {
  /** Position in the input array. */
  index: number;
  reason: string;
}

export interface CatalogReport {
  accepted: number;
  rejected: Rejection[];
  fieldsCleared: number;
  titlesTruncated: number;
}

export interface BaseModelReport {
  modelItems: number;
  knownCatalogItems: number;
}

export interface TrackReport {
  accepted: number;
  rejected: Rejection[];
}

/** Per-call overrides of the configured fine-tuning budget. */
export interface TrainBudget {
  maxSteps?: number;
  maxMs?: number;
  epochs?: number;
  learningRate?: number;
  pull?: number;
  negatives?: number;
  batchSize?: number;
  hardNegatives?: number;
}

export type TrainStopReason = "epochs" | "maxSteps" | "maxMs" | "noExamples";

export interface TrainProgress {
  done: boolean;
  epoch: number;
  batch: number;
  steps: number;
  /** Mean loss of the last chunk. */
  loss: number;
  /** Mean loss of each finished epoch. */
  epochLosses: number[];
  elapsedMs: number;
  examples: number;
  /** Steps of the base model's re-ranker fine-tuning (run in the first chunk; 0 without a base model). */
  baseSteps: number;
  stopReason?: TrainStopReason;
}

export interface Filters {
  /** Default true. */
  excludePurchased?: boolean;
  /** Default true. */
  excludeInCart?: boolean;
  /** Default false. */
  inStockOnly?: boolean;
  /** Category path prefixes, e.g. ["Shoes", "Kitchen > Pans"]. */
  categories?: string[];
  minPrice?: number;
  maxPrice?: number;
  excludeIds?: string[];
}

export interface Diversity {
  /** Maximal marginal relevance, in [0, 1] (1 = relevance only). */
  mmrLambda?: number;
  /** At most this many items per top-level category. */
  perCategoryCap?: number;
}

export interface RecommendOptions {
  /** 1..=min(1000, catalog size). Default 10. */
  k?: number;
  filters?: Filters;
  diversity?: Diversity;
}

export interface SimilarOptions {
  /** Default 10. */
  k?: number;
  /** Purchase/cart exclusions default to false here. */
  filters?: Filters;
}

export type ReasonKind =
  | "history" | "boughtTogether" | "sameSession" | "category"
  | "popular" | "topRated" | "catalog" | "similarAttributes" | "learnedSimilarity";

export interface Recommendation {
  itemId: string;
  score: number;
  /** Human-readable, names real data: "because you viewed <title>", "popular in <category>". */
  reason: string;
  reasonKind: ReasonKind;
  /** The item the reason refers to, when there is one. */
  reasonItemId?: string;
}

export interface Recommendations {
  items: Recommendation[];
  /** Set when fewer than k items could be returned, saying why. */
  note?: string;
  /** Items that passed the filters. */
  candidates: number;
  model: "prior" | "fineTuned" | "similarity";
}

export interface ModelReport {
  params: number;
  trainedSteps: number;
  hidden: number[];
  /** The base model's fine-tuned re-ranker: "none", "restored" or "skipped: <why>". */
  baseRanker: string;
}

export interface ImportReport {
  added: number;
  duplicates: number;
  droppedOldest: number;
}

export interface Inspection {
  events: number;
  unsavedEvents: number;
  distinctItems: number;
  byKind: Partial<Record<EventKind, number>>;
  firstEventMs?: number;
  lastEventMs?: number;
  catalogItems: number;
  baseModel: boolean;
  baseModelKnownItems: number;
  fineTuned: boolean;
  trainedSteps: number;
  modelParams: number;
  eventsBytes: number;
  modelBytes: number;
  /** The last base re-ranker fine-tuning: fine-tuned or base weights kept, and why. */
  baseFineTune?: string;
}
"#;
