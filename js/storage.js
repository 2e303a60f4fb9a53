// localrec storage: the shopper's events and fine-tuned model in IndexedDB.
//
// Layout (database `dbName`, schema version 1):
//   store "events": one record per save() batch, key = unique string (time + random),
//                   value = { format: 1, bytes: Uint8Array (sealed by the wasm core: version + CRC-32), savedAt }
//   store "model":  key "current", value = { format: 1, bytes: Uint8Array (sealed), savedAt }
//
// Why batches with unique keys: two tabs of the same shop each append their own records and never
// overwrite each other's; load() merges every batch (the core deduplicates by event id) and compacts
// them into one record in a single readwrite transaction that deletes only the keys it read.
// Every write is one transaction that resolves on `complete`: events are never half-written and the
// model record is replaced atomically. Nothing here talks to the network.

export const SCHEMA_VERSION = 1;
export const RECORD_FORMAT = 1;
const EVENTS = "events";
const MODEL = "model";
const MODEL_KEY = "current";

/** An Error with a clear message for a failed IndexedDB operation (quota, permission, …). */
export function storageError(what, dbName, cause) {
  const name = (cause && cause.name) || "Error";
  let hint = "";
  if (name === "QuotaExceededError") hint = " (storage quota exceeded: free space or call forget())";
  else if (name === "SecurityError" || name === "InvalidAccessError")
    hint = " (storage is not permitted here: private browsing, disabled cookies/storage, or an opaque origin)";
  else if (name === "VersionError") hint = " (the database was written by a newer version of localrec)";
  else if (name === "AbortError") hint = " (the transaction was aborted, e.g. the tab closed or another error)";
  const msg = `localrec storage: ${what} failed for IndexedDB database ${JSON.stringify(dbName)}: ${name}: ${
    (cause && cause.message) || String(cause)
  }${hint}`;
  const err = new Error(msg, { cause });
  err.name = name === "QuotaExceededError" ? "QuotaExceededError" : "StorageError";
  return err;
}

function idb() {
  const factory = globalThis.indexedDB;
  if (!factory) {
    const err = new Error(
      "localrec storage: IndexedDB is not available in this context (private browsing, storage disabled, or a non-browser runtime)",
    );
    err.name = "StorageError";
    throw err;
  }
  return factory;
}

function checkName(dbName) {
  if (typeof dbName !== "string" || dbName.length === 0 || dbName.length > 200) {
    throw new TypeError(`invalid dbName = ${JSON.stringify(String(dbName)).slice(0, 60)}: must be a non-empty string of at most 200 characters`);
  }
}

/** Opens (creating or upgrading) the database. Resolves to an IDBDatabase. */
export function openDatabase(dbName) {
  checkName(dbName);
  return new Promise((resolve, reject) => {
    let req;
    try {
      req = idb().open(dbName, SCHEMA_VERSION);
    } catch (e) {
      reject(e.name === "StorageError" ? e : storageError("open", dbName, e));
      return;
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      // Version 0 -> 1: create the stores. (Future versions migrate here.)
      if (!db.objectStoreNames.contains(EVENTS)) db.createObjectStore(EVENTS);
      if (!db.objectStoreNames.contains(MODEL)) db.createObjectStore(MODEL);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab deleting or upgrading the database: let it, reopen later.
      db.onversionchange = () => db.close();
      if (!db.objectStoreNames.contains(EVENTS) || !db.objectStoreNames.contains(MODEL)) {
        db.close();
        reject(storageError("open", dbName, new Error("the database has an unknown schema (missing stores)")));
        return;
      }
      resolve(db);
    };
    req.onerror = () => reject(storageError("open", dbName, req.error));
    req.onblocked = () => {
      // An older connection in another tab did not close; the open will proceed once it does.
    };
  });
}

function txDone(tx, what, dbName) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(storageError(what, dbName, tx.error || new DOMException("transaction aborted", "AbortError")));
    tx.onerror = (ev) => {
      // The transaction aborts after this; onabort rejects with the cause.
      if (ev && typeof ev.preventDefault === "function") {
        /* keep default: abort */
      }
    };
  });
}

function newKey() {
  const rnd = new Uint8Array(8);
  globalThis.crypto.getRandomValues(rnd);
  const hex = Array.from(rnd, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${Date.now().toString(36).padStart(10, "0")}-${hex}`;
}

function record(bytes) {
  return { format: RECORD_FORMAT, bytes, savedAt: Date.now() };
}

/** True when a stored value has the shape this version writes. */
export function isValidRecord(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    value.format === RECORD_FORMAT &&
    value.bytes instanceof Uint8Array &&
    value.bytes.length > 0
  );
}

/**
 * Writes, in ONE transaction, a new events batch (if `eventBytes`) and the model (if `modelBytes`).
 * Resolves once the transaction completed (durably committed), with the key of the events record.
 */
export async function saveBatch(db, eventBytes, modelBytes) {
  const stores = [];
  if (eventBytes) stores.push(EVENTS);
  if (modelBytes) stores.push(MODEL);
  if (stores.length === 0) return null;
  let tx;
  try {
    tx = db.transaction(stores, "readwrite");
  } catch (e) {
    throw storageError("save", db.name, e);
  }
  const done = txDone(tx, "save", db.name);
  const key = eventBytes ? newKey() : null;
  try {
    if (eventBytes) tx.objectStore(EVENTS).add(record(eventBytes), key);
    if (modelBytes) tx.objectStore(MODEL).put(record(modelBytes), MODEL_KEY);
  } catch (e) {
    try {
      tx.abort();
    } catch {
      /* already finished */
    }
    await done.catch(() => {});
    throw storageError("save", db.name, e);
  }
  await done;
  return key;
}

/**
 * Reads every events batch and, in the same readwrite transaction, replaces them by the result of
 * `merge(records)` — a synchronous function given [{key, value, valid}] that returns
 * { bytes: Uint8Array | null, dropKeys: key[] } (bytes = the merged batch to write, dropKeys = the
 * batches it merged or found corrupt). Keys written by other tabs after the read are untouched.
 */
export async function compactEvents(db, merge) {
  let tx;
  try {
    tx = db.transaction([EVENTS], "readwrite");
  } catch (e) {
    throw storageError("load events", db.name, e);
  }
  const done = txDone(tx, "load events", db.name);
  const store = tx.objectStore(EVENTS);
  let result = null;
  let failure = null;
  const keysReq = store.getAllKeys();
  const valuesReq = store.getAll();
  valuesReq.onsuccess = () => {
    try {
      const keys = keysReq.result;
      const values = valuesReq.result;
      const records = keys.map((key, i) => ({ key, value: values[i], valid: isValidRecord(values[i]) }));
      result = merge(records);
      if (result && result.bytes) store.add(record(result.bytes), newKey());
      for (const k of (result && result.dropKeys) || []) store.delete(k);
    } catch (e) {
      failure = e;
      try {
        tx.abort();
      } catch {
        /* finished */
      }
    }
  };
  try {
    await done;
  } catch (e) {
    throw failure || e;
  }
  if (failure) throw failure;
  return result;
}

/** The stored model bytes, or null when none; a malformed record is reported as { corrupt: true }. */
export async function loadModel(db) {
  let tx;
  try {
    tx = db.transaction([MODEL], "readonly");
  } catch (e) {
    throw storageError("load model", db.name, e);
  }
  const done = txDone(tx, "load model", db.name);
  const req = tx.objectStore(MODEL).get(MODEL_KEY);
  await done;
  const value = req.result;
  if (value === undefined) return null;
  if (!isValidRecord(value)) return { corrupt: true, bytes: null };
  return { corrupt: false, bytes: value.bytes };
}

/** Deletes the stored model record (used when it is corrupt or built for another catalog). */
export async function deleteModel(db) {
  const tx = db.transaction([MODEL], "readwrite");
  const done = txDone(tx, "delete model", db.name);
  tx.objectStore(MODEL).delete(MODEL_KEY);
  await done;
}

/** Number of records and total bytes stored (for the privacy panel). */
export async function usage(db) {
  const tx = db.transaction([EVENTS, MODEL], "readonly");
  const done = txDone(tx, "inspect", db.name);
  const ev = tx.objectStore(EVENTS).getAll();
  const md = tx.objectStore(MODEL).getAll();
  await done;
  const size = (vs) => vs.reduce((s, v) => s + (isValidRecord(v) ? v.bytes.length : 0), 0);
  return {
    eventRecords: ev.result.length,
    eventBytes: size(ev.result),
    modelRecords: md.result.length,
    modelBytes: size(md.result),
  };
}

/** Test helper and repair tool: writes a raw value into the events store (e.g. a corrupt record). */
export async function putRawEventRecord(db, value) {
  const tx = db.transaction([EVENTS], "readwrite");
  const done = txDone(tx, "write", db.name);
  const key = newKey();
  tx.objectStore(EVENTS).add(value, key);
  await done;
  return key;
}

/** Test helper: writes a raw value as the model record. */
export async function putRawModelRecord(db, value) {
  const tx = db.transaction([MODEL], "readwrite");
  const done = txDone(tx, "write", db.name);
  tx.objectStore(MODEL).put(value, MODEL_KEY);
  await done;
}

/**
 * Deletes the whole database. Connections of this page must be closed first; other tabs' connections
 * close themselves on `versionchange`. Resolves when deleted.
 */
export function deleteDatabase(dbName) {
  checkName(dbName);
  return new Promise((resolve, reject) => {
    let req;
    try {
      req = idb().deleteDatabase(dbName);
    } catch (e) {
      reject(e.name === "StorageError" ? e : storageError("delete", dbName, e));
      return;
    }
    req.onsuccess = () => resolve();
    req.onerror = () => reject(storageError("delete", dbName, req.error));
    req.onblocked = () => {
      // Resolves once the blocking connections close (they do on versionchange).
    };
  });
}

/**
 * Whether a database of this name exists. Uses indexedDB.databases() where the browser has it
 * (Firefox 126+, Chrome 71+, Safari 14+); returns null where it cannot be known.
 */
export async function databaseExists(dbName) {
  const factory = idb();
  if (typeof factory.databases !== "function") return null;
  const list = await factory.databases();
  return list.some((d) => d.name === dbName);
}
