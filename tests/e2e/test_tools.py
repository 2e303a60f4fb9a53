#!/usr/bin/env python3
"""Tests of the shop's Python tools (standard library unittest, a few seconds):
tools/gen_catalog.py, tools/simulate.py and tools/serve.py.

Run: python3 tests/e2e/test_tools.py
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def read(path):
    return Path(path).read_text(encoding="utf-8")
sys.path.insert(0, str(ROOT / "tools"))
import gen_catalog  # noqa: E402
import simulate  # noqa: E402


class CatalogTests(unittest.TestCase):
    def test_deterministic_for_a_seed_and_different_for_another(self):
        a = gen_catalog.make_items(7, 6)
        self.assertEqual(a, gen_catalog.make_items(7, 6))
        self.assertNotEqual(a, gen_catalog.make_items(8, 6))

    def test_products_are_well_formed(self):
        items = gen_catalog.make_items(7, 10)
        ids = [it["id"] for it in items]
        self.assertEqual(len(ids), len(set(ids)), "ids are unique")
        self.assertEqual(len({it["title"] for it in items}), len(items), "titles are unique")
        self.assertEqual({it["department"] for it in items}, set(gen_catalog.DEPARTMENTS))
        self.assertGreaterEqual(len(items), 200)
        for it in items:
            self.assertGreater(it["price"], 0, it["id"])
            self.assertTrue(1.0 <= it["rating"] <= 5.0, it["id"])
            self.assertEqual(it["inStock"], it["stock"] > 0, it["id"])
            root = gen_catalog.DEPARTMENTS[it["department"]][1]
            self.assertTrue(it["category"].startswith(root + " > "), it["category"])
            self.assertRegex(it["color"], r"^#[0-9a-f]{6}$")
        self.assertTrue(any(not it["inStock"] for it in items), "some products are out of stock")

    def test_the_xss_bait_is_there(self):
        items = gen_catalog.make_items(7, 2)
        self.assertEqual([it["title"] for it in items if "onerror" in it["title"]], ["<img src=x onerror=alert(1)>"])

    def test_prices_follow_the_product_kind(self):
        items = gen_catalog.make_items(7, 10)
        socks = [it["price"] for it in items if "Socks" in it["title"]]
        watches = [it["price"] for it in items if "GPS Running Watch" in it["title"]]
        self.assertTrue(socks and watches)
        self.assertLess(max(socks), min(watches))


class SimulatorTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.items = gen_catalog.make_items(7, 10)
        cls.users = simulate.simulate(cls.items, 300, seed=11)

    def test_deterministic_for_a_seed(self):
        again = simulate.simulate(self.items, 300, seed=11)
        self.assertEqual([e for _, e in self.users], [e for _, e in again])

    def test_sequences_use_catalog_ids_in_time_order(self):
        ids = {it["id"] for it in self.items}
        for _, events in self.users:
            self.assertTrue(events)
            self.assertEqual([e[0] for e in events], sorted(e[0] for e in events))
            self.assertTrue(all(e[2] in ids for e in events))
            self.assertTrue(set(simulate.sequence_of(events)) <= ids)

    def test_archetypes_have_distinct_tastes(self):
        by_arch = collections.defaultdict(collections.Counter)
        dept = {it["id"]: it["department"] for it in self.items}
        for shopper, events in self.users:
            for _, kind, item in events:
                if kind == "view":
                    by_arch[shopper.archetype][dept[item]] += 1
        favourite = {"runner": "running", "hiker": "outdoor", "home_cook": "kitchen", "beauty_fan": "beauty",
                     "gadget_lover": "electronics", "reader": "books"}
        for arch, want in favourite.items():
            counts = by_arch[arch]
            self.assertEqual(counts.most_common(1)[0][0], want, f"{arch}: {counts}")
            self.assertGreater(counts[want] / sum(counts.values()), 0.4, f"{arch}: {counts}")

    def test_bought_together_partners_follow_each_other(self):
        world = simulate.World(self.items, __import__("random").Random(12))  # same seed as simulate(seed=11) uses
        follows = total = 0
        for _, events in self.users:
            views = [item for _, kind, item in events if kind == "view"]
            for a, b in zip(views, views[1:]):
                total += 1
                follows += b in world.partners[a]
        # 25 % of steps go to a partner by construction; chance level is ~1.5 partners / 291 items.
        self.assertGreater(follows / total, 0.15)

    def test_attributes_cover_every_item(self):
        attrs = simulate.attributes_of(self.items)
        self.assertEqual(set(attrs), {it["id"] for it in self.items})
        run = next(it for it in self.items if it["department"] == "running")
        self.assertIn("cat:Sports > Running", attrs[run["id"]])
        self.assertIn(f"brand:{run['brand']}", attrs[run["id"]])

    def test_cli_writes_the_files_localrec_pretrain_reads(self):
        with tempfile.TemporaryDirectory() as d:
            cat = Path(d) / "catalog.json"
            subprocess.run([sys.executable, str(ROOT / "tools" / "gen_catalog.py"), "--per-subcategory", "3",
                            "--out", str(cat)], check=True, capture_output=True)
            subprocess.run([sys.executable, str(ROOT / "tools" / "simulate.py"), "--catalog", str(cat), "--shoppers",
                            "50", "--sequences", f"{d}/seq.txt", "--attributes", f"{d}/attr.json"], check=True,
                           capture_output=True)
            ids = {it["id"] for it in json.loads(read(cat))["items"]}
            lines = read(f"{d}/seq.txt").splitlines()
            self.assertEqual(len(lines), 50)
            for line in lines:
                user, *seq = line.split(" ")
                self.assertRegex(user, r"^u\d{5}$")
                self.assertTrue(seq and set(seq) <= ids)
            self.assertEqual(set(json.loads(read(f"{d}/attr.json"))), ids)


class ServerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        pkg = Path(cls.tmp.name) / "pkg"
        pkg.mkdir()
        (pkg / "m.wasm").write_bytes(b"\0asm\1\0\0\0")
        (pkg / "client.js").write_text("export const x = 1;\n")
        cls.log = Path(cls.tmp.name) / "requests.log"
        cls.proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "serve.py"), "--port", "0", "--pkg", str(pkg),
                                     "--log", str(cls.log)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = cls.proc.stdout.readline()  # "serving http://127.0.0.1:PORT/ ..."
        cls.base = line.split()[1].rstrip("/")

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.proc.stdout.close()
        cls.tmp.cleanup()

    def get(self, path, method="GET"):
        req = urllib.request.Request(self.base + path, method=method, data=b"x=1" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req) as res:
                return res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def log_entries(self):
        time.sleep(0.05)
        return [json.loads(line) for line in read(self.log).splitlines() if line.strip()]

    def test_binds_localhost_and_sends_the_csp(self):
        self.assertTrue(self.base.startswith("http://127.0.0.1:"))
        status, headers, body = self.get("/")
        self.assertEqual(status, 200)
        self.assertIn(b"<!doctype html>", body[:40].lower())
        csp = headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'",
                     "img-src 'self' data:", "style-src 'self'", "object-src 'none'", "base-uri 'none'",
                     "frame-ancestors 'none'"):
            self.assertIn(part, csp)

    def test_mime_types_and_the_pkg_mount(self):
        status, headers, body = self.get("/pkg/m.wasm")
        self.assertEqual((status, headers["Content-Type"], body[:4]), (200, "application/wasm", b"\0asm"))
        status, headers, _ = self.get("/pkg/client.js")
        self.assertTrue(headers["Content-Type"].startswith("text/javascript"))
        status, headers, _ = self.get("/js/app.js")
        self.assertTrue(headers["Content-Type"].startswith("text/javascript"))
        status, headers, _ = self.get("/assets/catalog.json")
        self.assertEqual(headers["Content-Type"], "application/json")

    def test_only_get_and_head_and_every_request_is_logged(self):
        status, _, _ = self.get("/anything?kind=view&item=run-001", method="POST")
        self.assertEqual(status, 405)
        entry = [e for e in self.log_entries() if e["method"] == "POST"][-1]
        self.assertEqual((entry["path"], entry["query"], entry["status"], entry["bytes_in"]),
                         ("/anything", "kind=view&item=run-001", 405, 3))

    def test_no_escape_from_the_served_directories_and_no_listings(self):
        for path in ("/../tools/serve.py", "/%2e%2e/tools/serve.py", "/pkg/../../tools/serve.py", "/js/"):
            status, _, body = self.get(path)
            self.assertEqual(status, 404, path)
            self.assertNotIn(b"ThreadingHTTPServer", body)


if __name__ == "__main__":
    unittest.main(verbosity=1)
