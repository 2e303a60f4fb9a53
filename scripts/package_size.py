#!/usr/bin/env python3
"""The download size of the npm package: every shipped .wasm and .js file, raw and gzip -9.

  python3 scripts/package_size.py [PKG_DIR]       # default pkg/ (after `make build-web`)
  python3 scripts/package_size.py --json pkg

Only the files a browser downloads count (the `files` of pkg/package.json that end in .wasm or .js:
the worker and client are included, the .d.ts files and README are not). The .wasm files are
alternatives (localrec_bg.wasm, simd128, and localrec_bg_relaxed.wasm, relaxed SIMD: js/load.js
fetches one of them), so the download counts the larger one. Exit status 1 if the directory holds
no .wasm.
"""
import argparse
import gzip
import json
import os
import sys


def sizes(path):
    with open(path, "rb") as f:
        data = f.read()
    return len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def shipped(pkg):
    manifest = os.path.join(pkg, "package.json")
    names = None
    if os.path.exists(manifest):
        with open(manifest) as f:
            names = json.load(f).get("files")
    if not names:
        names = sorted(os.listdir(pkg))
    return [n for n in names if n.endswith((".wasm", ".js")) and os.path.isfile(os.path.join(pkg, n))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pkg", nargs="?", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pkg"))
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args()
    files = shipped(args.pkg)
    if not any(n.endswith(".wasm") for n in files):
        print(f"package_size: no .wasm in {args.pkg} (run `make build-web`)", file=sys.stderr)
        return 1
    rows = [(n, *sizes(os.path.join(args.pkg, n))) for n in files]
    total = {
        # A browser fetches one of the alternative builds: count the larger.
        "wasm": [max(r[i] for r in rows if r[0].endswith(".wasm")) for i in (1, 2)],
        "js": [sum(r[i] for r in rows if r[0].endswith(".js")) for i in (1, 2)],
    }
    total["all"] = [total["wasm"][i] + total["js"][i] for i in (0, 1)]
    if args.json:
        print(json.dumps({"files": {n: {"raw": r, "gzip": g} for n, r, g in rows},
                          "total": {k: {"raw": v[0], "gzip": v[1]} for k, v in total.items()}}, indent=2))
        return 0
    print(f"{'file':<26} {'raw B':>9} {'gzip -9 B':>10}")
    for n, r, g in rows:
        print(f"{n:<26} {r:>9} {g:>10}")
    labels = {"wasm": "wasm (one build)", "js": "js", "all": "download"}
    for k in ("wasm", "js", "all"):
        r, g = total[k]
        print(f"{'total ' + labels[k]:<26} {r:>9} {g:>10}   ({r / 1024:.1f} KiB / {g / 1024:.1f} KiB gzip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
