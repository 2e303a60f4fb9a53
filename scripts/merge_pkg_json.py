#!/usr/bin/env python3
"""Merges the pkg.json overlay into the package.json that wasm-pack generated.

Usage: merge_pkg_json.py GENERATED_PACKAGE_JSON OVERLAY_JSON

Keys of the overlay replace wasm-pack's; wasm-pack's version is kept (it comes
from Cargo.toml, the single source of the version). Files named in the overlay's
"files" that wasm-pack did not generate make the merge fail, so the published
package can't silently miss them.
"""
import json
import os
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    generated_path, overlay_path = sys.argv[1], sys.argv[2]
    with open(generated_path, encoding="utf-8") as f:
        generated = json.load(f)
    with open(overlay_path, encoding="utf-8") as f:
        overlay = json.load(f)
    merged = dict(generated)
    merged.update({k: v for k, v in overlay.items() if k != "version"})
    # wasm-pack lists what it generated for this target (bundler adds localrec_bg.js):
    # keep those and add the overlay's.
    files = list(generated.get("files", []))
    files += [f for f in overlay.get("files", []) if f not in files]
    merged["files"] = files
    pkg_dir = os.path.dirname(generated_path) or "."
    missing = [
        name for name in merged.get("files", [])
        if not os.path.exists(os.path.join(pkg_dir, name.rstrip("/")))
    ]
    if missing:
        print(f"merge_pkg_json: files listed in {overlay_path} are missing from {pkg_dir}: {missing}",
              file=sys.stderr)
        return 1
    with open(generated_path, "w", encoding="utf-8") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    print(f"merge_pkg_json: {generated_path} <- {overlay_path} ({len(overlay)} keys)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
