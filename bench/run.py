#!/usr/bin/env python3
"""Runs the browser benchmark (bench/index.html) in headless Firefox (or Chromium with --chromium):
localrec against TensorFlow.js 4.22.0 (wasm backend: SIMD, one thread; cpu backend) on the workloads of
issue 9. Prints a table, writes JSON to target/bench/, and adds the native figures of
`cargo run --release -- bench --json` when that command exists.

  python3 bench/run.py            # the full benchmark (`make bench`; minutes)
  python3 bench/run.py --smoke    # tiny sizes, fails if anything breaks (`make bench-smoke`; seconds)

Needs: the bench build of localrec in target/bench/pkg (`make bench-build`), the release package in
pkg/ for the download size (`make build-web`), and `npm ci` in bench/ (TensorFlow.js).
"""
import argparse
import datetime
import functools
import gzip
import http.server
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from webdriver.client import Driver, Firefox, free_port  # noqa: E402

TFJS = os.path.join(ROOT, "bench", "node_modules", "@tensorflow")
# localrec loads its relaxed-SIMD build where the browser has relaxed SIMD (as the package does);
# localrec-simd128 is the same code forced onto the plain simd128 build.
LIBS = ["localrec", "localrec-simd128", "tfjs-wasm", "tfjs-cpu"]
SMOKE_QUERY = {"n": 512, "test": 128, "epochs": 1, "score": "100,1000", "pn": 128, "pepochs": 2,
               "reps": 1, "score_reps": 2, "min_sample_ms": 1, "items": 300, "sessions": 300, "events": 30,
               "warm_ms": 0}


# ---- a static server for the repo root (the page, the bench build, node_modules) ----------------------
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript"}

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


class StaticServer:
    def __init__(self, root):
        self.port = free_port()
        handler = functools.partial(QuietHandler, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        return False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


# ---- browsers (WebDriver; the stdlib client of tests/webdriver) ----------------------------------------
class Browser(Driver):
    """geckodriver + headless Firefox, or chromedriver + headless Chromium."""

    def __init__(self, chromium=False):
        super().__init__()
        self.chromium = chromium
        self.version = None

    def command_and_capabilities(self):
        if self.chromium:
            driver = shutil.which("chromedriver")
            binary = shutil.which("chromium") or shutil.which("chromium-browser")
            if not driver or not binary:
                raise SystemExit("bench: Chromium is not installed; install it with\n"
                                 "  sudo apt-get install chromium chromium-driver\n"
                                 "(scripts/setup.sh does not install it by default)")
            args = [driver, "--port={port}"]
            caps = {"browserName": "chrome", "goog:chromeOptions": {
                "binary": binary, "args": ["--headless=new", "--no-sandbox", "--disable-gpu"]}}
        else:
            if not shutil.which("geckodriver") or not (shutil.which("firefox-esr") or shutil.which("firefox")):
                raise SystemExit("bench: geckodriver or firefox-esr not found (run scripts/setup.sh)")
            # Full timer precision: Firefox rounds performance.now() to 1 ms by default.
            firefox = Firefox(prefs={"privacy.reduceTimerPrecision": False})
            args, caps = firefox.command_and_capabilities()
            binary = caps["moz:firefoxOptions"]["binary"]
        try:
            self.version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                          timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            self.version = None
        return args, caps


def run_page(server, browser_session, query, timeout):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    browser_session.get(f"{server.url}/bench/index.html?{qs}")
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        state = browser_session.execute(
            "const s = window.__bench; return s ? [s.done, s.error, s.progress] : [false, null, 'loading'];")
        done, error, progress = state
        if progress != last:
            print(f"  [page] {progress}", flush=True)
            last = progress
        if error:
            raise RuntimeError(f"the bench page failed: {error}")
        if done:
            return browser_session.execute("return window.__bench.results;")
        time.sleep(0.5)
    raise RuntimeError(f"the bench page did not finish within {timeout} s (last: {last})")


# ---- sizes, native figures, machine ---------------------------------------------------------------------
def file_sizes(paths):
    raw = gz = 0
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        raw += len(data)
        gz += len(gzip.compress(data, compresslevel=9))
    return {"files": [os.path.relpath(p, ROOT) for p in paths], "raw_bytes": raw, "gzip_bytes": gz}


def sizes(release_pkg, bench_pkg):
    out = {}
    # The published package: its .wasm and every JS module (index.js imports the rest, worker included).
    # A browser downloads one of the two .wasm builds (js/load.js): the relaxed-SIMD one where
    # supported (the one this benchmark's `localrec` runs), else localrec_bg.wasm.
    release = sorted(os.path.join(release_pkg, f) for f in os.listdir(release_pkg)
                     if f.endswith(".js") or f.endswith(".wasm")) if os.path.isdir(release_pkg) else []
    for wasm in ("localrec_bg_relaxed.wasm", "localrec_bg.wasm"):
        if any(f.endswith(wasm) for f in release):
            one = [f for f in release if f.endswith(".js") or f.endswith(wasm)]
            out[f"localrec (package: {wasm} + all .js)"] = file_sizes(one)
    files = [os.path.join(bench_pkg, "localrec_bg.wasm"), os.path.join(bench_pkg, "localrec.js")]
    if all(os.path.exists(f) for f in files):
        out["localrec (bench build, + bench hooks)"] = file_sizes(files)
    wasm_dist = os.path.join(TFJS, "tfjs-backend-wasm", "dist")
    minimal = {  # what an app using the layers API on one backend ships
        "tfjs-wasm (core+layers+wasm backend)": [
            os.path.join(TFJS, "tfjs-core", "dist", "tf-core.min.js"),
            os.path.join(TFJS, "tfjs-layers", "dist", "tf-layers.min.js"),
            os.path.join(wasm_dist, "tf-backend-wasm.min.js"),
            os.path.join(wasm_dist, "tfjs-backend-wasm-simd.wasm")],
        "tfjs-cpu (core+layers+cpu backend)": [
            os.path.join(TFJS, "tfjs-core", "dist", "tf-core.min.js"),
            os.path.join(TFJS, "tfjs-layers", "dist", "tf-layers.min.js"),
            os.path.join(TFJS, "tfjs-backend-cpu", "dist", "tf-backend-cpu.min.js")],
        "tfjs (full tf.min.js bundle)": [os.path.join(TFJS, "tfjs", "dist", "tf.min.js")],
    }
    for name, files in minimal.items():
        if all(os.path.exists(f) for f in files):
            out[name] = file_sizes(files)
    return out


def native_figures(timeout):
    """`localrec bench --json` (thread CPU time, as the MLP issue specifies) and with --wall (wall clock,
    like the browser figures)."""
    base = ["cargo", "run", "--release", "--quiet", "--", "bench", "--json"]
    if not os.path.exists(os.path.join(ROOT, "src", "bin", "localrec", "bench.rs")):
        return {"available": False, "command": " ".join(base),
                "reason": "this checkout has no `localrec bench` command yet (src/bin/localrec/bench.rs, branch nn)"}
    out = {"available": True, "runs": {}}
    for name, cmd in (("cpu_time", base), ("wall", base + ["--wall"])):
        print(f"native: {' '.join(cmd)}", flush=True)
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            return {"available": False, "command": " ".join(cmd), "reason": f"{type(e).__name__}: {e}"}
        if proc.returncode != 0:
            lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
            return {"available": False, "command": " ".join(cmd),
                    "reason": f"exit {proc.returncode}: {lines[0] if lines else ''}"}
        try:
            out["runs"][name] = {"command": " ".join(cmd), "report": json.loads(proc.stdout)}
        except json.JSONDecodeError as e:
            return {"available": False, "command": " ".join(cmd), "reason": f"not JSON: {e}"}
    return out


def machine():
    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        pass
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "os": platform.platform()}


# ---- the report ---------------------------------------------------------------------------------------
def fmt_stat(s, digits=1, scale=1.0):
    if not s:
        return "—"
    f = f"{{:.{digits}f}}"
    return f"{f.format(s['median'] * scale)} ({f.format(s['min'] * scale)}–{f.format(s['max'] * scale)})"


def ratio(a, b, higher_is_better):
    """How many times better localrec (a) is than b, from medians of the same run."""
    if not a or not b or not a.get("median") or not b.get("median"):
        return "—"
    r = a["median"] / b["median"] if higher_is_better else b["median"] / a["median"]
    return f"{r:.2f}×"


def table(results):
    libs = [lib for lib in LIBS if lib in results["libs"]]
    tfjs = [lib for lib in libs if lib.startswith("tfjs")]
    L = results["libs"]

    def get(lib, *path):
        node = L.get(lib)
        for p in path:
            node = node.get(p) if isinstance(node, dict) else None
        return node

    rows = []
    # (label, path, digits, higher is better)
    rows.append(("train samples/s", ("train", "samples_per_s"), 0, True))
    rows.append(("train wall ms", ("train", "ms"), 0, False))
    for n in results["config"]["score"]:
        rows.append((f"score {n} ms", ("score", str(n), "ms"), 3, False))
    rows.append(("personalise ms", ("personalise", "ms"), 1, False))
    header = ["workload (median (min–max))"] + libs + [f"localrec vs {t}" for t in tfjs]
    body = []
    for label, path, digits, hib in rows:
        line = [label] + [fmt_stat(get(lib, *path), digits) for lib in libs]
        line += [ratio(get("localrec", *path), get(t, *path), hib) for t in tfjs]
        body.append(line)
    for label, key in (("final train loss", "final_loss"), ("held-out loss", "heldout_loss"),
                       ("held-out accuracy", "heldout_accuracy")):
        body.append([label] + [f"{get(lib, 'train', key):.4f}" if get(lib, "train", key) is not None else "—"
                               for lib in libs] + [""] * len(tfjs))
    body.append(["personalised held-out acc."] +
                [f"{get(lib, 'personalise', 'heldout_accuracy'):.4f}"
                 if get(lib, "personalise", "heldout_accuracy") is not None else "—" for lib in libs]
                + [""] * len(tfjs))
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in body]
    return "\n".join(out)


def results_dim(results):
    return int(results["config"].get("dim", 64))


def report(full):
    r = full["browser"]
    lines = [f"localrec benchmark — {full['date']} — {full['browser_version'] or r['user_agent']}",
             f"machine: {full['machine']['cpu']}, {full['machine']['cores']} cores",
             f"tfjs: {json.dumps({k: v for k, v in r['env'].items() if k.startswith('tfjs')})}",
             "", table(r), ""]
    mem = r["libs"].get("localrec", {}).get("memory_bytes", {})
    if mem:
        order = ["start", "after_train", "after_score", "after_personalise"]
        lines.append("localrec wasm memory: " + ", ".join(f"{k} {mem[k] / 2**20:.1f} MiB" for k in order if k in mem))
    lines.append("download (raw / gzip -9):")
    for name, s in full["sizes"].items():
        lines.append(f"  {name:40s} {s['raw_bytes'] / 1024:8.1f} KiB / {s['gzip_bytes'] / 1024:7.1f} KiB")
    prof = r.get("profile")
    if prof:
        w = prof["in_wasm"]
        dims = [results_dim(r), 64, 32, 1]
        fwd = 2 * sum(a * b for a, b in zip(dims, dims[1:]))  # FLOPs per row, forward
        lines.append("localrec profile:")
        lines.append(f"  nn::bench::run_reference inside wasm (no JS in the loop): {w['trainSamplesPerSec']:.0f} samples/s "
                     f"(runs {', '.join(f'{v:.0f}' for v in w['trainSamplesPerSecRuns'])}), "
                     f"score 1,000 {w['score1kMs']:.3f} ms, 10,000 {w['score10kMs']:.3f} ms, "
                     f"final loss {w['finalLoss']:.4f}, test accuracy {w['testAccuracy']:.4f}")
        lines.append("  one epoch by batch size (samples/s): " + ", ".join(
            f"{b}: {fmt_stat(v['samples_per_s'], 0)}" for b, v in prof["batch_sweep"].items()))
        lr = r["libs"].get("localrec", {})
        if lr:
            train_gflops = 3 * fwd * lr["train"]["samples_per_s"]["median"] / 1e9
            lines.append(f"  effective GFLOP/s (≈3× forward FLOPs per trained row): training {train_gflops:.1f}"
                         + "".join(f", scoring {n} {fwd * int(n) / (v['ms']['median'] / 1000) / 1e9:.1f}"
                                   for n, v in lr["score"].items()))
    rj = r.get("real_job", {})
    if rj.get("available"):
        lines.append(f"real job ({rj['items']:,}-item catalog, {rj['events']} events; {rj['api']}; "
                     f"fresh recommender per repetition):")
        for key, label in (("load_catalog", "load catalog"), ("track", "track events"),
                           ("fine_tune", f"fine-tune (chunks of {rj['chunk_ms']} ms)"),
                           ("recommend_first", f"first recommend k={rj['k']}"),
                           ("recommend", f"recommend k={rj['k']} (warm)")):
            lines.append(f"  {label:34s} {fmt_stat(rj[key]['ms'], 2)} ms")
        lines.append(f"  fine-tune result: {json.dumps(rj['fine_tune_result'])}")
        lines.append(f"  wasm memory after: {rj['memory_bytes']['after_real_job'] / 2**20:.1f} MiB")
    else:
        lines.append(f"real job: not measured ({rj.get('reason')})")
    bj = r.get("base_model_job", {})
    if bj.get("available"):
        lines.append(f"rec::BaseModel job ({bj['items']:,} items, {bj['events']} events; pretrained in the page "
                     f"in {bj['setup_ms']:.0f} ms, not timed; the model the package ranks with once the shop loads a base model):")
        lines.append(f"  fine-tune (FineTuneBudget::new)    {fmt_stat(bj['fine_tune']['ms'], 1)} ms "
                     f"({bj['fine_tune_steps']} steps, {bj['fine_tune']['rows']} rows)")
        lines.append(f"  rank top {bj['rank']['k']:<26} {fmt_stat(bj['rank']['ms'], 3)} ms")
        lines.append(f"  score_all (whole catalog)          {fmt_stat(bj['score_all']['ms'], 3)} ms")
        lines.append(f"  wasm memory after: {bj['memory_bytes']['after_real_job'] / 2**20:.1f} MiB")
    nat = full.get("native")
    if nat is None:
        lines.append("native: skipped (--no-native)")
    elif nat.get("available"):
        for run in nat["runs"].values():
            lines.append(f"native ({run['command']}):")
            lines.append(f"  {json.dumps(run['report'])}")
    else:
        lines.append(f"native: not available ({nat.get('reason')})")
    return "\n".join(lines)


def check_smoke(results, libs):
    """The smoke run passes when every library produced finite results for every workload."""
    problems = []
    for lib in libs:
        r = results["libs"].get(lib)
        if not r:
            problems.append(f"{lib}: no results")
            continue
        values = [r["train"]["samples_per_s"]["median"], r["train"]["final_loss"], r["train"]["heldout_accuracy"],
                  r["personalise"]["ms"]["median"], r["personalise"]["final_loss"]]
        values += [s["ms"]["median"] for s in r["score"].values()]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            problems.append(f"{lib}: non-finite result {values}")
    for key in ("real_job", "base_model_job"):
        job = results.get(key, {})
        if "localrec" in libs and not job.get("available"):
            problems.append(f"{key} did not run: {job.get('reason')}")
    wasm_env = results["env"].get("tfjs-wasm")
    if wasm_env and not wasm_env.get("simd"):
        problems.append(f"tfjs-wasm runs without SIMD: {wasm_env}")
    if wasm_env and wasm_env.get("threads") not in (None, 1):
        problems.append(f"tfjs-wasm runs with {wasm_env.get('threads')} threads, not 1")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes; exit 1 if anything breaks")
    ap.add_argument("--chromium", action="store_true", help="Chromium instead of Firefox")
    ap.add_argument("--no-native", action="store_true", help="skip `cargo run --release -- bench --json`")
    ap.add_argument("--libs", default=",".join(LIBS), help="comma-separated subset of " + ",".join(LIBS))
    ap.add_argument("--query", action="append", default=[], metavar="K=V",
                    help="page option (see bench/bench.js), repeatable, e.g. --query reps=5")
    ap.add_argument("--bench-pkg", default=os.path.join(ROOT, "target", "bench", "pkg"))
    ap.add_argument("--release-pkg", default=os.path.join(ROOT, "pkg"))
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench"))
    ap.add_argument("--timeout", type=float, default=None, help="seconds for the page (default 2400, smoke 180)")
    args = ap.parse_args()

    libs = [lib for lib in args.libs.split(",") if lib]
    if not os.path.exists(os.path.join(args.bench_pkg, "localrec_bg.wasm")) and "localrec" in libs:
        print(f"bench: {os.path.relpath(args.bench_pkg, ROOT)}/localrec_bg.wasm missing: run `make bench-build`",
              file=sys.stderr)
        return 1
    if any(lib.startswith("tfjs") for lib in libs) and not os.path.exists(os.path.join(TFJS, "tfjs", "dist")):
        print("bench: TensorFlow.js missing: run `npm ci` in bench/ (`make bench` does)", file=sys.stderr)
        return 1
    query = dict(SMOKE_QUERY) if args.smoke else {}
    for kv in args.query:
        k, _, v = kv.partition("=")
        query[k] = v
    query["libs"] = ",".join(libs)
    rel = os.path.relpath(os.path.join(args.bench_pkg, "localrec.js"), os.path.join(ROOT, "bench"))
    query["pkg"] = rel.replace(os.sep, "/")
    timeout = args.timeout or (180 if args.smoke else 2400)

    started = time.time()
    browser = Browser(chromium=args.chromium)
    with StaticServer(ROOT) as server, browser as session:
        print(f"bench: {browser.version or 'browser'}, page {server.url}/bench/index.html", flush=True)
        results = run_page(server, session, query, timeout)

    full = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "browser_version": browser.version, "machine": machine(), "smoke": args.smoke,
            "browser": results, "sizes": sizes(args.release_pkg, args.bench_pkg),
            "native": None if (args.no_native or args.smoke) else native_figures(1800),
            "wall_s": round(time.time() - started, 1)}
    os.makedirs(args.out, exist_ok=True)
    name = "smoke.json" if args.smoke else f"bench-{full['date'].replace(':', '')}.json"
    for path in [os.path.join(args.out, name)] + ([] if args.smoke else [os.path.join(args.out, "latest.json")]):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(full, f, indent=1)
    print()
    print(report(full))
    print(f"\nJSON: {os.path.relpath(os.path.join(args.out, name), ROOT)}")
    if args.smoke:
        problems = check_smoke(results, libs)
        for p in problems:
            print(f"FAIL {p}")
        print(f"bench smoke: {'ok' if not problems else 'FAILED'} ({full['wall_s']} s)")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
