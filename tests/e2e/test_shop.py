#!/usr/bin/env python3
"""End-to-end test of the demo shop in headless Firefox (WebDriver via geckodriver).

Starts tools/serve.py (the server `make demo` uses) on a free port with a
request log, starts geckodriver, and drives a new shopper through the shop:

 1. cold start: the home page shows "Recommended for you" (noted);
 2. browsing several products of one department shifts the shelf toward that
    department, with reasons that name viewed products;
 3. add to cart + checkout records a purchase; after a reload the event history,
    the order and the recommendations are still there;
 4. "forget me" deletes the local data (IndexedDB + local storage) and the shelf
    is back to the cold-start list;
 5. the server's request log holds only GET/HEAD requests for static files that
    exist, without query strings or bodies (no behaviour data);
 6. a product named like an XSS payload renders as text, the CSP blocks inline
    scripts and foreign connections;
 plus keyboard navigation, labels/alt text, a phone-sized layout, and no console
 errors (window errors, unhandled rejections, console.error and CSP violations
 are recorded by an injected listener and by www/js/errors.js from first load).
 Screenshots: artifacts/home.png (personalised home), artifacts/phone.png.

Usage:
    python3 tests/e2e/test_shop.py [--pkg DIR] [--artifacts DIR] [--firefox /usr/bin/firefox-esr]

Prints one line per check and a final `e2e: N passed, M failed`; exits 1 if any
check failed, 2 if the browser tooling is missing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from webdriver import Firefox, WebDriverError, free_port, wait_for_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WWW = ROOT / "www"

# Collects errors from the moment it is injected (errors.js covers page start-up).
INJECT_LISTENER = """
if (!window.__e2eErrors) {
  window.__e2eErrors = [];
  window.addEventListener('error', e => window.__e2eErrors.push('error: ' + (e.message || 'resource failed')), true);
  window.addEventListener('unhandledrejection', e => window.__e2eErrors.push('rejection: ' + (e.reason && e.reason.message || e.reason)));
  document.addEventListener('securitypolicyviolation', e => window.__e2eErrors.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI));
}
return true;
"""

SHELF_STATE = """
const name = arguments[0];
const shelf = document.querySelector(`[data-shelf="${name}"]`);
if (!shelf || !shelf.dataset.state || shelf.getAttribute('aria-busy') !== 'false') return null;
const current = document.documentElement.dataset.recoVersion;
if (shelf.dataset.version !== current) return null;
return {
  state: shelf.dataset.state,
  message: shelf.querySelector('.shelf-message').textContent,
  items: [...shelf.querySelectorAll('.card')].map(c => ({
    id: c.dataset.itemId, dept: c.dataset.department,
    title: c.querySelector('.card-title').textContent,
    reason: (c.querySelector('[data-reason]') || {}).textContent || ''
  }))
};
"""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}" + (f" — {detail}" if detail else ""), flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f" — {detail}" if detail else ""), flush=True)
        return ok

    def run(self, name, fn):
        """Runs a step; an exception is one failed check with its message."""
        try:
            return fn()
        except Exception as e:  # the test keeps going to report every check
            self.check(name, False, f"{type(e).__name__}: {e}")
            if os.environ.get("E2E_DEBUG"):
                traceback.print_exc()
            return None


class Shop:
    def __init__(self, ff, base):
        self.ff = ff
        self.base = base
        self.errors = []

    def collect_errors(self):
        """Moves the page's recorded errors into self.errors (call before leaving a page load)."""
        got = self.ff.execute("const a = (window.__shopErrors || []).concat(window.__e2eErrors || []);"
                              "if (window.__shopErrors) window.__shopErrors.length = 0;"
                              "if (window.__e2eErrors) window.__e2eErrors.length = 0; return a;")
        self.errors.extend(got or [])

    def open(self, hash_="#/"):
        self.ff.get(self.base + hash_)
        self.ff.wait("return document.documentElement.dataset.booted === 'true'", message="the shop to boot")
        self.ff.execute(INJECT_LISTENER)
        self.wait_reco()

    def reload(self):
        self.collect_errors()
        self.ff.refresh()
        self.ff.wait("return document.documentElement.dataset.booted === 'true'", message="the shop to boot")
        self.ff.execute(INJECT_LISTENER)
        self.wait_reco()

    def wait_reco(self):
        """Waits until the recommender started or failed; returns its state."""
        return self.ff.wait("const s = document.documentElement.dataset.reco;"
                            "return s === 'ready' || s === 'unavailable' ? s : null", timeout=60,
                            message="the recommender to start (or fail)")

    def reco_message(self):
        return self.ff.execute("return document.getElementById('reco-status').textContent")

    def route(self, hash_):
        self.ff.execute("location.hash = arguments[0]", hash_)
        self.ff.wait("return location.hash === arguments[0] && document.querySelector('main h1') !== null", hash_,
                     message=f"route {hash_}")

    def shelf(self, name="recommended", timeout=30):
        return self.ff.wait(SHELF_STATE, name, timeout=timeout, message=f"shelf {name} to settle")

    def tracked(self):
        return int(self.ff.execute("return Number(document.documentElement.dataset.tracked || 0)"))

    def wait_tracked(self, n, timeout=20):
        self.ff.wait("return Number(document.documentElement.dataset.tracked || 0) >= arguments[0]", n,
                     timeout=timeout, message=f"{n} events tracked")

    def stat(self, key):
        return self.ff.execute("const d = document.querySelector(`[data-stat='${arguments[0]}']`);"
                               "return d ? d.textContent : null", key)


def department_share(items, dept):
    return sum(1 for it in items if it["dept"] == dept) / max(1, len(items))


def scenario(ff, base, checks, artifacts, catalog):
    shop = Shop(ff, base)
    by_id = {it["id"]: it for it in catalog["items"]}

    # --- 1. new shopper -------------------------------------------------------------------------
    shop.open("#/")
    state = shop.wait_reco()
    checks.check("recommender starts in the worker", state == "ready", shop.reco_message() if state != "ready" else "")
    cold = shop.shelf()
    checks.check("cold start: 'Recommended for you' shows products", cold["state"] == "ready" and len(cold["items"]) > 0,
                 f"{len(cold['items'])} items; {cold['message']}")
    cold_ids = [it["id"] for it in cold["items"]]
    on_page = ff.execute("return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
    checks.check("the recommender runs in a Web Worker (the page itself never loads the .wasm)",
                 "/pkg/client.js" in on_page and not any(p.endswith(".wasm") for p in on_page),
                 f"page resources: {[p for p in on_page if p.startswith('/pkg/')]}")
    print(f"     cold start list: {cold_ids}")

    # --- keyboard: skip link, then search by keyboard only --------------------------------------
    def keyboard():
        # Put the sequential-focus starting point at the top of the document, as after a fresh load.
        ff.execute("window.scrollTo(0,0); document.body.setAttribute('tabindex','-1'); document.body.focus();"
                   "document.body.removeAttribute('tabindex');")
        ff.press("tab")
        first = ff.execute("return document.activeElement.className + '|' + document.activeElement.textContent")
        ff.press("enter")
        focused_main = ff.execute("return document.activeElement.id")
        ff.press("tab", "tab")  # past the skip link: logo, then the search box
        ff.execute("document.getElementById('search-input').focus()")
        ff.active_element().send_keys("headlamp" + "\ue007")
        ff.wait("return location.hash.startsWith('#/search')", message="search by keyboard")
        results = ff.execute("return document.querySelectorAll('main .card').length")
        checks.check("keyboard: first Tab reaches the skip link, Enter moves focus to main",
                     first.startswith("skip|") and focused_main == "main", f"{first!r}, focus on #{focused_main}")
        checks.check("keyboard: search with Enter finds products", results > 0, f"{results} results for 'headlamp'")
        # Tab from the first result card reaches a link (cards are focusable links).
        ff.execute("document.querySelector('main .card-link').focus()")
        ff.press("enter")
        ff.wait("return location.hash.startsWith('#/p/')", message="Enter on a focused card opens the product")
        checks.check("keyboard: Enter on a product card opens its page", True)
        # Filters by keyboard: changing a select re-renders the listing but keeps focus on the control.
        shop.route("#/c/kitchen")
        ff.execute("document.querySelector('main select[name=sort]').focus()")
        ff.press("\ue015")  # ArrowDown
        ff.wait("return location.hash.includes('sort=')", message="sort changed by keyboard")
        state = ff.execute("const a = document.activeElement; const prices = [...document.querySelectorAll('main .card .price')]"
                           ".map(p => parseFloat(p.textContent.replace(/[^0-9.]/g, ''))); "
                           "return [a.name, location.hash, prices.every((v, i) => i === 0 || prices[i - 1] <= v), prices.length]")
        checks.check("keyboard: a sort change keeps focus on the control and re-sorts the listing",
                     state[0] == "sort" and "sort=price-asc" in state[1] and state[2] and state[3] > 0, f"{state}")
    checks.run("keyboard navigation", keyboard)
    shop.route("#/")

    # --- 2. browse one department -----------------------------------------------------------------
    departments = [d["key"] for d in catalog["departments"]]
    target = min(departments, key=lambda d: (department_share(cold["items"], d), d))
    print(f"     browsing department: {target} (cold share {department_share(cold['items'], target):.2f})")
    viewed_titles = []
    start_count = shop.tracked()

    def browse():
        nonlocal start_count
        for i in range(5):
            shop.route(f"#/c/{target}?sort=rating")
            cards = ff.find_all("main .grid .card-link")
            # Open a different product each time, by a real click on its card.
            cards[i * 3].click()
            ff.wait("return location.hash.startsWith('#/p/')", message="product page")
            title = ff.execute("return document.querySelector('main h1').textContent")
            viewed_titles.append(title)
            shop.wait_tracked(start_count + 2 * (i + 1))  # the click and the view
        checks.check("views and clicks are tracked", shop.tracked() >= start_count + 10,
                     f"{shop.tracked() - start_count} events")
    checks.run("browse a department", browse)
    print(f"     viewed: {viewed_titles}")
    shop.route("#/")
    after = checks.run("personalised shelf", lambda: shop.shelf())
    if after:
        before_share = department_share(cold["items"], target)
        after_share = department_share(after["items"], target)
        checks.check("shelf shifts toward the browsed department", after_share > before_share and after_share >= 0.5,
                     f"{target}: {before_share:.2f} -> {after_share:.2f} of {len(after['items'])}")
        named = [it["reason"] for it in after["items"] if any(t in it["reason"] for t in viewed_titles)]
        checks.check("reasons name viewed products", len(named) > 0,
                     f"{len(named)} of {len(after['items'])}; e.g. {named[:1] or [it['reason'] for it in after['items'][:2]]}")
        checks.check("recommendations differ from the cold-start list", [i["id"] for i in after["items"]] != cold_ids)

    # --- 3. add to cart, buy, reload ----------------------------------------------------------------
    bought = [it for it in catalog["items"] if it["department"] == target and it["inStock"]][-1]

    def buy():
        n = shop.tracked()
        shop.route(f"#/p/{urllib.parse.quote(bought['id'])}")
        shop.wait_tracked(n + 1)
        ff.find("#add-to-cart").click()
        shop.wait_tracked(n + 2)
        cart_label = ff.execute("return document.getElementById('cart-link').textContent")
        checks.check("add to cart updates the cart link", cart_label == "Cart (1)", cart_label)
        ff.find("#cart-link").click()
        ff.wait("return location.hash === '#/cart' && !!document.getElementById('checkout-link')", message="cart page")
        ff.find("#checkout-link").click()
        ff.wait("return !!document.getElementById('place-order')", message="checkout form")
        for name, text in (("name", "Test Shopper"), ("address", "1 Test Street"), ("city", "Testville")):
            ff.find(f"form.checkout input[name='{name}']").send_keys(text)
        ff.find("#place-order").click()
        ff.wait("return location.hash.startsWith('#/order/')", message="order confirmation")
        shop.wait_tracked(n + 3)
        checks.check("checkout records the order locally",
                     ff.execute("return JSON.parse(localStorage.getItem('shop.orders.v1') || '[]').length") == 1)
    checks.run("add to cart and buy", buy)

    def base_model():
        shop.route("#/privacy")
        ff.wait("return !!document.querySelector(\"[data-stat='base']\")", message="base model row")
        text = shop.stat("base")
        checks.check("the shop's base model (assets/model.bin) is loaded by the package", text.startswith("loaded"),
                     f"{text!r}; {shop.reco_message()!r}")
    checks.run("base model", base_model)

    def persist():
        shop.route("#/privacy")
        ff.wait("return !!document.querySelector(\"[data-stat='events']\")", message="privacy stats")
        events_before = shop.stat("events")
        shop.route("#/")
        recs_before = [i["id"] for i in shop.shelf()["items"]]
        shop.reload()
        recs_after = [i["id"] for i in shop.shelf()["items"]]
        shop.route("#/privacy")
        ff.wait("return !!document.querySelector(\"[data-stat='events']\")", message="privacy stats after reload")
        events_after = shop.stat("events")
        orders_after = shop.stat("orders")
        checks.check("events persist across a reload", events_before == events_after and int(events_after or 0) >= 13,
                     f"{events_before} -> {events_after}")
        checks.check("order persists across a reload", orders_after == "1", f"orders: {orders_after}")
        checks.check("recommendations persist across a reload", recs_before == recs_after and len(recs_after) > 0,
                     f"{recs_before} vs {recs_after}")
        checks.check("the purchased item is not recommended again", bought["id"] not in recs_after)
        shop.route("#/")
        shop.shelf()
        size = ff.screenshot(str(artifacts / "home.png"))
        checks.check("screenshot of the personalised home page", size > 10_000, f"{artifacts / 'home.png'} ({size} bytes)")
    checks.run("persistence after reload", persist)

    # --- download my data (the Blob handed to the download link is captured and parsed) ----------------
    def download():
        shop.route("#/privacy")
        ff.wait("return !!document.querySelector(\"[data-stat='events']\")", message="privacy stats")
        events = shop.stat("events")
        ff.execute("window.__blobs = []; const orig = URL.createObjectURL;"
                   "URL.createObjectURL = (b) => { window.__blobs.push(b); return orig(b); };")
        ff.find("#download-data").click()
        text = ff.execute_async("const done = arguments[arguments.length - 1];"
                                "const t0 = Date.now(); (function poll() {"
                                " if (window.__blobs.length) window.__blobs[0].text().then(done);"
                                " else if (Date.now() - t0 > 10000) done(null); else setTimeout(poll, 100); })()")
        data = json.loads(text) if text else {}
        summary = (data.get("localrec") or {}).get("summary") or {}
        n = summary.get("eventCount", summary.get("events"))
        checks.check("download my data gives JSON with the stored events and the order",
                     bool(data) and str(n) == events and len(data.get("shop", {}).get("orders", [])) == 1
                     and (data.get("localrec") or {}).get("events") is not None,
                     f"{len(text or '')} bytes; localrec summary events={n}, page says {events}")
    checks.run("download my data", download)

    # --- fine-tuning in the worker ------------------------------------------------------------------
    def tune():
        shop.route("#/tune")
        ff.find("#train-start").click()
        ff.wait("return document.getElementById('train-start').disabled === false && "
                "/Done|Cancelled|failed/.test(document.getElementById('train-status').textContent)", timeout=60,
                message="fine-tuning to finish")
        status = ff.execute("return document.getElementById('train-status').textContent")
        points = ff.execute("return document.querySelectorAll('.chart circle').length")
        progress = ff.execute("return document.getElementById('train-progress').value")
        changes = ff.execute("return document.querySelectorAll('#rec-changes li').length")
        checks.check("fine-tuning finishes with a progress bar, a loss chart and a change list",
                     status.startswith("Done") and points >= 1 and progress == 1 and changes > 0,
                     f"{status!r}, {points} epochs charted, {changes} recommendations listed")
    checks.run("fine-tuning", tune)

    # --- 4. forget me -------------------------------------------------------------------------------------
    def forget():
        shop.route("#/privacy")
        ff.find("#forget-me").click()
        ff.wait("return /deleted|Could not/.test(document.getElementById('privacy-message').textContent)",
                message="forget me to finish")
        msg = ff.execute("return document.getElementById('privacy-message').textContent")
        checks.check("forget me reports success", msg.startswith("Done"), msg)
        ff.wait("return document.querySelector(\"[data-stat='events']\") && "
                "document.querySelector(\"[data-stat='events']\").textContent === '0'", timeout=10,
                message="event count 0")
        storage = ff.execute("return Object.keys(localStorage)")
        dbs = ff.execute_async("const done = arguments[arguments.length - 1];"
                               "indexedDB.databases().then(l => done(l.map(d => d.name)), e => done(['error: ' + e]))")
        checks.check("forget me leaves no local storage and no IndexedDB data",
                     storage == [] and dbs == [],
                     f"localStorage keys {storage}, IndexedDB databases {dbs}")
        shop.route("#/")
        now = [i["id"] for i in shop.shelf()["items"]]
        checks.check("after forget me the shelf is the cold-start list again", now == cold_ids, f"{now} vs {cold_ids}")
        shop.reload()
        again = [i["id"] for i in shop.shelf()["items"]]
        checks.check("after forget me + reload still the cold-start list", again == cold_ids, f"{again}")
    checks.run("forget me", forget)

    # --- 6. escaping and CSP ------------------------------------------------------------------------------
    def xss():
        xss_item = next(it for it in catalog["items"] if "onerror" in it["title"])
        shop.route(f"#/p/{urllib.parse.quote(xss_item['id'])}")
        h1 = ff.execute("return document.querySelector('main h1').textContent")
        imgs = ff.execute("return document.querySelectorAll('img').length")
        scripts = ff.execute("return [...document.querySelectorAll('script')].map(s => s.src.replace(location.origin, ''))")
        checks.check("an XSS-shaped product name renders as text", h1 == xss_item["title"] and imgs == 0,
                     f"h1={h1!r}, <img> elements: {imgs}")
        checks.check("no injected <script> elements", sorted(scripts) == ["/js/app.js", "/js/errors.js"], f"{scripts}")
        shop.route(f"#/search?q={urllib.parse.quote('onerror')}")
        card_title = ff.execute("const c = document.querySelector('main .card-title'); return c && c.textContent")
        checks.check("the XSS-shaped name is shown as text in search results", card_title == xss_item["title"], repr(card_title))
        alert = ff.alert_text()
        checks.check("no alert() fired", alert is None, f"alert: {alert!r}")
    checks.run("escaping", xss)

    # --- accessibility basics -------------------------------------------------------------------------------
    def a11y():
        problems = []
        for route in ("#/", f"#/c/{target}", f"#/p/{catalog['items'][0]['id']}", "#/privacy", "#/tune"):
            shop.route(route)
            if route == "#/":
                shop.shelf()
            got = ff.execute("""
              const p = [];
              for (const el of document.querySelectorAll('input, select, textarea')) {
                if (el.type === 'hidden') continue;
                const named = el.labels && el.labels.length || el.getAttribute('aria-label');
                if (!named) p.push('unlabelled ' + el.tagName + ' ' + (el.name || el.id));
              }
              for (const el of document.querySelectorAll('svg[role=img]')) if (!el.getAttribute('aria-label')) p.push('svg without label');
              for (const el of document.querySelectorAll('button, a[href]')) if (!(el.textContent.trim() || el.getAttribute('aria-label'))) p.push('unnamed ' + el.tagName);
              if (!document.querySelector('main h1')) p.push('no h1');
              // WCAG contrast of every visible text node's element against its effective background.
              const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
              const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                              .reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
              const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                                   if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
              const seen = new Set();
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const el = n.parentElement;
                if (!n.textContent.trim() || seen.has(el) || el.closest('svg, .visually-hidden, .skip, [hidden]') || !el.getClientRects().length) continue;
                seen.add(el);
                const cs = getComputedStyle(el);
                if (el.disabled || el.closest('button:disabled')) continue;  // WCAG exempts disabled controls
                const a = lum(rgb(cs.color).slice(0, 3)), b = lum(bg(el));
                const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.66 && Number(cs.fontWeight) >= 700);
                if (ratio < (large ? 3 : 4.5)) p.push(`contrast ${ratio.toFixed(2)} for "${n.textContent.trim().slice(0, 30)}"`);
              }
              return p;""")
            problems += [f"{route}: {p}" for p in got]
        checks.check("labels, alt text, accessible names and text contrast ≥ 4.5:1 (3:1 large) on every page", not problems, "; ".join(problems[:5]))
    checks.run("accessibility", a11y)

    # --- phone-sized layout -----------------------------------------------------------------------------------
    def phone():
        # Headless Firefox will not make a window narrower than 500 CSS px, which is already below the
        # shop's phone breakpoint (640 px). To cover 360-px phones too, each page is also rendered with
        # <body> constrained to 360 px (through the CSSOM, which the CSP allows) and must not overflow it.
        ff.set_window_size(390, 844)
        width = ff.execute("return window.innerWidth")
        overflow = []
        for route in ("#/", f"#/c/{target}", f"#/p/{catalog['items'][1]['id']}", "#/cart", "#/privacy", "#/tune"):
            shop.route(route)
            if route == "#/":
                shop.shelf()
            w = ff.execute("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if w[0] > w[1] + 1:
                overflow.append(f"{route} at {w[1]} px: content {w[0]} px wide")
            narrow = ff.execute("document.body.style.width = '360px'; const w = document.body.scrollWidth;"
                                "document.body.style.width = ''; return w")
            if narrow > 361:
                overflow.append(f"{route} at 360 px: content {narrow} px wide")
        shop.route("#/")
        shop.shelf()
        ff.screenshot(str(artifacts / "phone.png"))
        ff.set_window_size(1280, 900)
        checks.check(f"layout holds at phone width ({width} px window, 360 px body): no horizontal overflow",
                     width <= 640 and not overflow, "; ".join(overflow))
    checks.run("phone layout", phone)

    # --- CSP in the browser -------------------------------------------------------------------------------------
    shop.collect_errors()
    errors_before_csp = list(shop.errors)

    def csp():
        inline = ff.execute("const s = document.createElement('script'); s.textContent = 'window.__inlineRan = 1';"
                            "document.body.append(s); return window.__inlineRan === 1")
        foreign = ff.execute_async("const done = arguments[arguments.length - 1];"
                                   "fetch('http://127.0.0.2:9/beacon?e=1').then(() => done('sent'), e => done('blocked'))")
        checks.check("CSP blocks inline scripts and connections to other origins",
                     inline is False and foreign == "blocked", f"inline ran: {inline}, foreign fetch: {foreign}")
        time.sleep(0.3)
        ff.execute("if (window.__shopErrors) window.__shopErrors.length = 0; if (window.__e2eErrors) window.__e2eErrors.length = 0;")
    checks.run("csp in browser", csp)

    checks.check("no console errors, uncaught errors or CSP violations during the run", not errors_before_csp,
                 "; ".join(errors_before_csp[:6]))
    return {"target": target, "viewed": viewed_titles}


def check_request_log(log_path, checks):
    """Only GET/HEAD of files that exist, no query strings, no bodies, no 4xx/5xx."""
    entries = [json.loads(line) for line in open(log_path, encoding="utf-8") if line.strip()]
    bad = []
    paths = set()
    for e in entries:
        path = e["path"]
        paths.add(path)
        if e["method"] not in ("GET", "HEAD"):
            bad.append(f"{e['method']} {path}")
        if e["query"]:
            bad.append(f"query string on {path}: {e['query']!r}")
        if e.get("bytes_in"):
            bad.append(f"request body on {path}")
        if e["status"] not in (200, 304):
            bad.append(f"status {e['status']} for {path}")
    checks.check("request log: only GET/HEAD of static files, no query strings, no bodies, no errors",
                 entries and not bad, f"{len(entries)} requests, {len(paths)} distinct paths; " + "; ".join(bad[:6]))
    allowed_prefixes = ("/js/", "/css/", "/pkg/", "/assets/")
    odd = sorted(p for p in paths if p not in ("/", "/index.html") and not p.startswith(allowed_prefixes))
    checks.check("request log: every path is a static asset of the shop or the package", not odd, ", ".join(odd[:6]))
    print(f"     requested: {sorted(paths)}")
    checks.check("request log: the worker entry and the .wasm were served",
                 "/pkg/worker.js" in paths and any(p.endswith(".wasm") for p in paths))


def check_headers(base, checks):
    with urllib.request.urlopen(base + "/") as res:
        csp = res.headers.get("Content-Security-Policy", "")
    with urllib.request.urlopen(base + "/js/app.js") as res:
        js_type = res.headers.get("Content-Type", "")
    want = ["default-src 'self'", "connect-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'"]
    checks.check("server sends the CSP and text/javascript for modules",
                 all(w in csp for w in want) and js_type.startswith("text/javascript"), f"{csp} | {js_type}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="localrec demo shop end-to-end test (headless Firefox)")
    parser.add_argument("--pkg", default=os.environ.get("LOCALREC_PKG", str(ROOT / "pkg")),
                        help="the wasm-pack output directory served at /pkg/ (default: ./pkg)")
    parser.add_argument("--artifacts", default=str(ROOT / "artifacts"))
    parser.add_argument("--firefox", default="/usr/bin/firefox-esr")
    args = parser.parse_args(argv)
    missing = [t for t in ("geckodriver",) if not shutil.which(t)] + ([args.firefox] if not os.path.exists(args.firefox) else [])
    if missing:
        print(f"e2e: cannot run, missing {', '.join(missing)}", file=sys.stderr)
        print("e2e: 0 passed, 1 failed")
        return 2
    for need in ("localrec.js", "localrec_bg.wasm", "client.js", "worker.js"):
        if not (Path(args.pkg) / need).exists():
            print(f"e2e: warning: {Path(args.pkg) / need} is missing — build the package (wasm-pack build --target web) "
                  "and copy js/*.js next to it; the personalisation checks will fail", file=sys.stderr)
    if not (WWW / "assets" / "model.bin").exists():
        print("e2e: warning: www/assets/model.bin is missing — run tools/build_assets.sh", file=sys.stderr)
    artifacts = Path(args.artifacts)
    artifacts.mkdir(parents=True, exist_ok=True)
    catalog = json.load(open(WWW / "assets" / "catalog.json", encoding="utf-8"))
    workdir = Path(tempfile.mkdtemp(prefix="localrec-e2e-"))
    log_path = workdir / "requests.log"
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "tools" / "serve.py"), "--port", str(port), "--www", str(WWW),
                               "--pkg", args.pkg, "--log", str(log_path)],
                              stdout=subprocess.DEVNULL, stderr=open(workdir / "server.err", "w"))
    checks = Checks()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, proc=server)
        print(f"     server {base} (pkg {args.pkg}), log {log_path}")
        try:
            with Firefox(binary=args.firefox, log_path=str(workdir / "geckodriver.log")) as ff:
                scenario(ff, base, checks, artifacts, catalog)
        except WebDriverError as e:
            checks.check("browser session", False, str(e))
        checks.run("request log", lambda: check_request_log(log_path, checks))
        checks.run("headers", lambda: check_headers(base, checks))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"e2e: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
