#!/usr/bin/env python3
"""Where the bytes of a .wasm go: code size per Rust module, from the function names.

  python3 bench/wasm_sizes.py [FILE.wasm] [--depth 3] [--top 25]

Use the cargo output (before wasm-bindgen and wasm-opt strip the names), e.g.
target/bench/cargo/wasm32-unknown-unknown/release/localrec.wasm after `make bench-build`, or
target/wasm32-unknown-unknown/release/localrec.wasm after `make build-web`. Sizes are before
wasm-opt (which shrinks everything by roughly the same factor), so read them as shares.
"""
import argparse
import collections
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(ROOT, "target", "bench", "cargo", "wasm32-unknown-unknown", "release", "localrec.wasm")


def leb(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def sections(data):
    if data[:4] != b"\0asm":
        raise SystemExit("not a wasm module")
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(data, pos + 1)
        yield sid, data[pos:pos + size]
        pos += size


def imported_functions(body):
    count, pos = leb(body, 0)
    funcs = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            n, pos = leb(body, pos)
            pos += n
        kind = body[pos]
        pos += 1
        if kind == 0:  # function: type index
            _, pos = leb(body, pos)
            funcs += 1
        elif kind == 1:  # table: reftype + limits
            pos += 1
            flags, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 2:  # memory: limits
            flags, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 3:  # global: valtype + mutability
            pos += 2
        else:
            raise SystemExit(f"unknown import kind {kind}")
    return funcs


def function_names(body):
    name_len, pos = leb(body, 0)
    if body[pos:pos + name_len] != b"name":
        return None
    pos += name_len
    names = {}
    while pos < len(body):
        sub = body[pos]
        size, pos = leb(body, pos + 1)
        end = pos + size
        if sub == 1:
            count, p = leb(body, pos)
            for _ in range(count):
                idx, p = leb(body, p)
                n, p = leb(body, p)
                names[idx] = body[p:p + n].decode("utf-8", "replace")
                p += n
        pos = end
    return names


def demangle_path(name):
    """The module path of a legacy-mangled Rust symbol (_ZN...E), without the hash; else the raw name."""
    if name.startswith("_R"):  # v0 mangling: keep the length-prefixed identifiers, in order
        name = re.sub(r"Cs[0-9A-Za-z]+_", "", name)  # crate disambiguators
        parts, pos = [], 2
        while pos < len(name):
            m = re.match(r"(\d+)_?", name[pos:])
            if m and not name[pos - 1].isdigit():
                n = int(m.group(1))
                ident = name[pos + len(m.group(0)):pos + len(m.group(0)) + n]
                if n and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", ident):
                    parts.append(ident)
                    pos += len(m.group(0)) + n
                    continue
            pos += 1
        return parts or [name]
    m = re.match(r"_ZN(.*)E$", name)
    if not m:
        return [name]
    rest, parts = m.group(1), []
    while rest and rest[0].isdigit():
        n = re.match(r"\d+", rest).group(0)
        parts.append(rest[len(n):len(n) + int(n)])
        rest = rest[len(n) + int(n):]
    parts = [p for p in parts if not re.fullmatch(r"h[0-9a-f]{16}", p)]
    # Trait impls are mangled as `_$LT$T$u20$as$u20$Trait$GT$`: keep the implementing type's path.
    if parts and parts[0].startswith("_$LT$"):
        inner = parts[0][5:].split("$u20$as$u20$")[0].replace("..", "::")
        parts = inner.split("::") + parts[1:]
    return parts or [name]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wasm", nargs="?", default=DEFAULT)
    ap.add_argument("--depth", type=int, default=3, help="module path components to group by")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    with open(args.wasm, "rb") as f:
        data = f.read()
    imports = 0
    bodies = []
    names = None
    section_sizes = collections.Counter()
    for sid, body in sections(data):
        section_sizes[sid] += len(body)
        if sid == 2:
            imports = imported_functions(body)
        elif sid == 10:
            count, pos = leb(body, 0)
            for _ in range(count):
                size, pos = leb(body, pos)
                bodies.append(size)
                pos += size
        elif sid == 0:
            names = function_names(body) or names
    if names is None:
        raise SystemExit(f"{args.wasm} has no name section (use the cargo output, before wasm-opt)")
    groups = collections.Counter()
    for i, size in enumerate(bodies):
        path = demangle_path(names.get(imports + i, f"func{imports + i}"))
        groups["::".join(path[:args.depth])] += size
    total = sum(bodies)
    print(f"{os.path.relpath(args.wasm, ROOT)}: {len(data) / 1024:.1f} KiB, code {total / 1024:.1f} KiB "
          f"in {len(bodies)} functions, data {section_sizes[11] / 1024:.1f} KiB")
    for path, size in groups.most_common(args.top):
        print(f"  {size / 1024:8.1f} KiB  {100 * size / total:5.1f} %  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
