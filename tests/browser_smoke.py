#!/usr/bin/env python3
"""Loads the RELEASE build (pkg/, made by `make build-web`) in headless Firefox
through the demo server and checks that the module initialises and its
self-check passes, with no page errors: the relaxed-SIMD build the package picks
in a browser that supports it, and the simd128 build. Run by `make test`."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from webdriver.client import Firefox, Server  # noqa: E402


def main() -> int:
    pkg = os.path.join(ROOT, "pkg")
    if not os.path.exists(os.path.join(pkg, "localrec_bg.wasm")):
        print("browser_smoke: pkg/localrec_bg.wasm missing: run `make build-web` first", file=sys.stderr)
        return 1
    passed = failed = 0
    with Server(ROOT, pkg) as server, Firefox() as browser:
        # (query, the build that must run, the .wasm that must be served)
        for query, want, wasm in (("", "relaxed-simd", "/pkg/localrec_bg_relaxed.wasm"),
                                  ("?simd=simd128", "simd128", "/pkg/localrec_bg.wasm")):
            browser.get(f"{server.url}/check.html{query}")
            state = browser.wait_for("return document.getElementById('status').dataset.state", 60,
                                     "the module self-check")
            text = browser.execute("return document.getElementById('status').textContent")
            simd = browser.execute("return document.getElementById('status').dataset.simd")
            supported = browser.execute("return document.getElementById('status').dataset.relaxedSupported")
            if want == "relaxed-simd" and supported != "true":
                want, wasm = "simd128", "/pkg/localrec_bg.wasm"  # an older browser: the fallback must run
            if state == "ok" and "ok" in text and simd == want:
                passed += 1
                print(f"ok   release build ({want}) loads in Firefox: {text}")
            else:
                failed += 1
                print(f"FAIL release build in Firefox{query}: want {want}, ran {simd}: {text}")
            if any(wasm in r for r in server.requests()):
                passed += 1
                print(f"ok   the optimised release {wasm} was the one served")
            else:
                failed += 1
                print(f"FAIL {wasm} was not requested: {server.requests()}")
    print(f"browser smoke: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
