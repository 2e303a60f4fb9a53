#!/usr/bin/env python3
"""Serves the demo storefront: www/ at /, the built package (pkg/) at /pkg/.

Binds 127.0.0.1 only. Usage: serve.py [--port 8080] [--pkg DIR] [--log FILE]
"""
import argparse
import http.server
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--pkg", default=os.path.join(ROOT, "pkg"))
    ap.add_argument("--log", default=None)
    args = ap.parse_args()
    www = os.path.join(ROOT, "www")
    pkg = os.path.abspath(args.pkg)
    log = open(args.log, "a", buffering=1) if args.log else None

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".wasm": "application/wasm", ".js": "text/javascript",
                          ".mjs": "text/javascript", ".json": "application/json"}

        def translate_path(self, path):
            clean = path.split("?", 1)[0].split("#", 1)[0]
            if clean.startswith("/pkg/"):
                rel = clean[len("/pkg/"):]
                return os.path.join(pkg, *[p for p in rel.split("/") if p not in ("", ".", "..")])
            rel = clean.lstrip("/")
            return os.path.join(www, *[p for p in rel.split("/") if p not in ("", ".", "..")])

        def end_headers(self):
            self.send_header("Content-Security-Policy",
                             "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
                             "img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; "
                             "frame-ancestors 'none'")
            self.send_header("Cache-Control", "no-cache")
            super().end_headers()

        def log_message(self, fmt, *a):
            line = f"{self.command} {self.path} {a[1] if len(a) > 1 else ''}"
            if log:
                log.write(line + "\n")
            sys.stderr.write(line + "\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"serving http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
