#!/usr/bin/env python3
"""The demo's static server (`make demo` and the end-to-end test use it).

Serves www/ at / and the built npm package directory at /pkg/, with a
Content-Security-Policy that only allows the page's own origin, correct MIME
types for ES modules and WebAssembly, no caching (so a rebuilt package is
picked up on reload), and a request log: one JSON line per request
(`{"t", "method", "path", "query", "status", "bytes_in"}`) so a test can check
that only GETs of static assets happened and none carried behaviour data.
Only GET and HEAD are served; any other method is logged and answered 405.

Usage:
    python3 tools/serve.py [--port 8080] [--host 127.0.0.1] [--www DIR] [--pkg DIR] [--log FILE]

--pkg defaults to $LOCALREC_PKG, else ../pkg relative to --www (the crate's
wasm-pack output). Prints `serving http://HOST:PORT/` on stdout once listening
(--port 0 picks a free port, which is printed).
"""

import argparse
import http.server
import json
import os
import posixpath
import sys
import threading
import time
import urllib.parse
from pathlib import Path

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' data:; "
       "style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

MIME = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".bin": "application/octet-stream",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".ts": "text/plain; charset=utf-8",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    www_dir = "."
    pkg_dir = "."
    log_file = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):  # the JSON log replaces the default stderr noise
        pass

    def record(self, status):
        if not self.log_file:
            return
        parsed = urllib.parse.urlsplit(self.path)
        entry = {"t": round(time.time(), 3), "method": self.command, "path": parsed.path, "query": parsed.query,
                 "status": status, "bytes_in": int(self.headers.get("Content-Length") or 0)}
        with self.log_lock, open(self.log_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def send_response(self, code, message=None):
        self._status = code
        super().send_response(code, message)

    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def guess_type(self, path):
        return MIME.get(os.path.splitext(path)[1].lower(), "application/octet-stream")

    def translate_path(self, path):
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        root = self.www_dir
        if path == "/pkg" or path.startswith("/pkg/"):
            root, path = self.pkg_dir, path[len("/pkg"):]
        parts = [p for p in posixpath.normpath(path).split("/") if p and p not in (".", "..")]
        return os.path.join(root, *parts)

    def do_GET(self):
        self._status = None
        try:
            super().do_GET()
        finally:
            self.record(self._status)

    def do_HEAD(self):
        self._status = None
        try:
            super().do_HEAD()
        finally:
            self.record(self._status)

    def refuse(self):
        self._status = None
        self.send_error(405, "Method Not Allowed")
        self.record(self._status)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = refuse

    def list_directory(self, path):  # no directory listings
        self.send_error(404, "Not Found")
        return None


def main(argv=None):
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description="localrec demo static server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--www", default=str(here / "www"))
    parser.add_argument("--pkg", default=os.environ.get("LOCALREC_PKG"))
    parser.add_argument("--log", help="append one JSON line per request to this file")
    args = parser.parse_args(argv)
    www = Path(args.www).resolve()
    pkg = Path(args.pkg).resolve() if args.pkg else (www.parent / "pkg").resolve()
    Handler.www_dir, Handler.pkg_dir, Handler.log_file = str(www), str(pkg), args.log
    if not pkg.is_dir():
        print(f"serve: warning: package directory {pkg} does not exist (run the wasm-pack build); /pkg/ will 404",
              file=sys.stderr)
    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    print(f"serving http://{host}:{port}/  (www={www}, pkg={pkg})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
