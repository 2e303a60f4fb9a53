#!/usr/bin/env python3
"""Short import, export and module names in a wasm-pack `--target web` build, renamed alike in its glue.

  WASM_OPT_FLAGS="..." python3 scripts/minify_names.py PKG_DIR

Run after scripts/build_relaxed.sh and before the JavaScript is minified (the Makefile's build-web).
PKG_DIR holds localrec.js (the glue), localrec.d.ts, localrec_bg.wasm.d.ts, localrec_bg.wasm and
localrec_bg_relaxed.wasm.

Why: wasm-bindgen names every import `__wbg_<function>_<16 hex digits>` under the module
"./localrec_bg.js", and the exports after the Rust functions (`localreccore_loadBaseModel`): about
3 KB of names in the .wasm and again in the glue, and gzip cannot shrink the hashes. wasm-opt's
--minify-imports-and-exports-and-modules renames them ("a", "b", ..., "Aa") and prints the mapping;
this script applies it to the glue (object keys of the imports, `wasm.<export>` accesses and the
module key) and to the two .d.ts files that list the raw exports. 1.2 KB gzip less .wasm, and the
glue's share is smaller too.

Checks, each a failure: both .wasm files get the same mapping (one glue serves both builds); every
old import name occurs in the glue before, and no old name after; the renamed module is one module.
"""
import json
import os
import re
import subprocess
import sys


def leb(data, i):
    """An unsigned LEB128 at data[i:]: (value, next index)."""
    value = shift = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def name(data, i):
    n, i = leb(data, i)
    return data[i:i + n].decode(), i + n


def import_modules(path):
    """The set of module names of the .wasm's imports (the import section, id 2)."""
    data = open(path, "rb").read()
    i = 8
    while i < len(data):
        section, i = data[i], i + 1
        size, i = leb(data, i)
        if section == 2:
            count, j = leb(data, i)
            modules = set()
            for _ in range(count):
                module, j = name(data, j)
                _field, j = name(data, j)
                kind, j = data[j], j + 1
                if kind == 0:  # function: type index
                    _, j = leb(data, j)
                elif kind == 1:  # table: reftype, limits
                    j += 1
                    flags, j = leb(data, j + 0)
                    _, j = leb(data, j)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 2:  # memory: limits
                    flags, j = leb(data, j)
                    _, j = leb(data, j)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 3:  # global: valtype, mutability
                    j += 2
                else:
                    sys.exit(f"minify_names: {path}: import kind {kind} not handled")
                modules.add(module)
            return modules
        i += size
    return set()


def minify(path, flags):
    """Renames the names in `path` in place; returns binaryen's mapping (imports, exports)."""
    out = subprocess.run(
        ["wasm-opt", *flags, "--minify-imports-and-exports-and-modules", path, "-o", path],
        check=True, capture_output=True, text=True,
    ).stdout
    mapping = json.loads(out[out.index("{"):])
    modules = import_modules(path)
    if len(modules) != 1:
        sys.exit(f"minify_names: {path}: expected one import module after renaming, found {sorted(modules)}")
    return mapping, modules.pop()


def rename(text, old, new, where):
    pattern = re.compile(r"(?<![\w$])" + re.escape(old) + r"(?![\w$])")
    if not pattern.search(text):
        sys.exit(f"minify_names: {where}: `{old}` not found")
    return pattern.sub(new, text)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    pkg = sys.argv[1]
    enable = [f for f in os.environ.get("WASM_OPT_FLAGS", "").split() if f.startswith("--enable-")]
    if not enable:
        sys.exit("minify_names: WASM_OPT_FLAGS must list the --enable-* features (see the Makefile)")
    mapping, module = minify(os.path.join(pkg, "localrec_bg.wasm"), enable)
    relaxed = minify(os.path.join(pkg, "localrec_bg_relaxed.wasm"), enable + ["--enable-relaxed-simd"])
    if relaxed != (mapping, module):
        sys.exit("minify_names: the simd128 and relaxed builds got different names: one glue cannot serve both")

    glue_path = os.path.join(pkg, "localrec.js")
    glue = open(glue_path).read()
    old_modules = {m for m, _, _ in mapping["imports"]}
    for old_module in old_modules:
        quoted = json.dumps(old_module)
        if glue.count(quoted) != 1:
            sys.exit(f"minify_names: {glue_path}: the module key {quoted} must occur once")
        glue = glue.replace(quoted, json.dumps(module))
    for _module, old, new in mapping["imports"]:
        glue = rename(glue, old, new, glue_path)
    for old, new in mapping["exports"]:
        # Exports the glue never reads (e.g. `__abort_handler`) are renamed in the .wasm only.
        glue = re.sub(r"(?<![\w$])wasm\." + re.escape(old) + r"(?![\w$])", f"wasm.{new}", glue)
    # Import names are unique tokens; export names ("memory", "version") are checked as `wasm.<name>`.
    for old in [o for _m, o, _n in mapping["imports"]] + [f"wasm.{o}" for o, _n in mapping["exports"]]:
        if re.search(r"(?<![\w$])" + re.escape(old) + r"(?![\w$])", glue):
            sys.exit(f"minify_names: {glue_path}: `{old}` still there after renaming")
    open(glue_path, "w").write(glue)

    # The raw exports are typed in localrec.d.ts (InitOutput) and localrec_bg.wasm.d.ts.
    for dts in ("localrec.d.ts", "localrec_bg.wasm.d.ts"):
        path = os.path.join(pkg, dts)
        if not os.path.exists(path):
            continue
        text = open(path).read()
        for old, new in mapping["exports"]:
            text = re.sub(r"(?<=\s)" + re.escape(old) + r"(?=\s*:)", new, text)
        open(path, "w").write(text)
    print(f"minify_names: {len(mapping['imports'])} imports, {len(mapping['exports'])} exports renamed in {pkg}")


if __name__ == "__main__":
    main()
