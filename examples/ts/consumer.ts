// A TypeScript storefront using localrec: type-checked with `tsc --noEmit -p examples/ts`
// against the package's generated and hand-written declarations (pkg/ after `make build-web`).
import { LocalRec } from "localrec";
import { LocalRecWorker } from "localrec/client";
import type { CatalogItem, Recommendation, ShopperEvent, TrainProgress, Inspection } from "localrec";

const catalog: CatalogItem[] = [
  { id: "sku-1", title: "Trail Shoe X", category: "Shoes > Trail", brand: "Asics", price: 99, inStock: true },
  { id: "sku-2", title: "Road Shoe Y", category: "Shoes > Running", brand: "Nike", price: 120, tags: ["light"] },
];

export async function mainThread(): Promise<string[]> {
  const rec = await LocalRec.create({ seed: 1, dbName: "ts-shop", fineTune: { maxMs: 300, epochs: 2 } });
  const report = rec.loadCatalog(catalog);
  if (report.rejected.length > 0) console.warn(report.rejected.map((r) => `${r.index}: ${r.reason}`));
  const event: ShopperEvent = { itemId: "sku-1", kind: "view", timestamp: Date.now() };
  rec.track(event);
  const ctl = new AbortController();
  const result = await rec.train({
    maxMs: 200,
    signal: ctl.signal,
    onProgress: (p: TrainProgress) => console.log(p.epoch, p.batch, p.loss.toFixed(3), p.elapsedMs),
  });
  console.log(result.cancelled, result.history.length, result.stopReason ?? "running");
  const recs = rec.recommend({ k: 2, filters: { inStockOnly: true, maxPrice: 150 }, diversity: { mmrLambda: 0.7 } });
  const lines = recs.items.map((r: Recommendation) => `${r.itemId}: ${r.reason} (${r.reasonKind})`);
  if (recs.note) lines.push(recs.note);
  const saved = await rec.save();
  const info = await rec.inspect();
  const events: number = info.events + saved.events;
  console.log(events, info.byKind.view ?? 0, info.stored);
  const similar = rec.similar("sku-1", { k: 1 });
  lines.push(...similar.items.map((s) => s.itemId));
  const bytes: Uint8Array = rec.exportModel();
  rec.importModel(bytes);
  const gone = await rec.forget();
  if (gone.verified === false) throw new Error("not deleted");
  rec.free();
  return lines;
}

export async function inWorker(onInfo: (i: Inspection) => void): Promise<number> {
  const rec = await LocalRecWorker.create({ seed: 1 });
  await rec.loadCatalog(catalog);
  await rec.trackMany([{ itemId: "sku-2", kind: "add_to_cart", timestamp: Date.now(), quantity: 1 }]);
  const trained = await rec.train({ epochs: 1, onProgress: (p) => console.log(p.steps) });
  const { items } = await rec.recommend({ k: 1 });
  onInfo(await rec.inspect());
  await rec.free();
  return items.length + trained.steps;
}
