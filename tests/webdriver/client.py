"""Minimal W3C WebDriver client over urllib: just what the tests need."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class WebDriverError(RuntimeError):
    pass


class Session:
    """One browser session: navigate, run scripts, find elements, screenshots."""

    def __init__(self, base: str, session_id: str):
        self.base = base
        self.id = session_id

    def _call(self, method: str, path: str, body=None):
        url = f"{self.base}/session/{self.id}{path}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.load(r).get("value")
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise WebDriverError(f"{method} {path}: {e.code} {detail[:500]}") from None

    def get(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def execute(self, script: str, *args):
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script: str, *args):
        return self._call("POST", "/execute/async", {"script": script, "args": list(args)})

    def wait_for(self, script: str, timeout: float = 30.0, what: str = "condition"):
        """Polls `script` (a JS expression body returning a value) until truthy."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.execute(script)
            if last:
                return last
            time.sleep(0.1)
        raise WebDriverError(f"timed out after {timeout}s waiting for {what} (last value {last!r})")

    def find(self, css: str) -> str:
        el = self._call("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(el.values()))

    def click(self, css: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/click", {})

    def send_keys(self, css: str, text: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/value", {"text": text})

    def screenshot(self, path: str) -> None:
        import base64
        png = self._call("GET", "/screenshot")
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def set_window_size(self, width: int, height: int) -> None:
        self._call("POST", "/window/rect", {"width": width, "height": height})


class Driver:
    """Starts a WebDriver server (geckodriver, chromedriver) and one browser session;
    use as a context manager. Subclasses say which driver and capabilities in
    `command_and_capabilities()`: the driver's argv (with "{port}" where the port goes)
    and the `alwaysMatch` capabilities."""

    def __init__(self):
        self.proc = None
        self.session = None

    def command_and_capabilities(self):
        raise NotImplementedError

    def __enter__(self) -> Session:
        args, caps = self.command_and_capabilities()
        port = free_port()
        self.proc = subprocess.Popen([a.replace("{port}", str(port)) for a in args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        base = f"http://127.0.0.1:{port}"
        body = json.dumps({"capabilities": {"alwaysMatch": caps}}).encode()
        req = urllib.request.Request(f"{base}/session", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            value = json.load(r)["value"]
        self.session = Session(base, value["sessionId"])
        return self.session

    def __exit__(self, *exc):
        try:
            if self.session:
                self.session._call("DELETE", "")
        except Exception:  # the browser may already be gone
            pass
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return False


def firefox_binary() -> str:
    binary = shutil.which("firefox-esr") or shutil.which("firefox")
    if not binary:
        raise RuntimeError("firefox-esr not found (run scripts/setup.sh)")
    return binary


class Firefox(Driver):
    """geckodriver + headless Firefox."""

    def __init__(self, prefs=None):
        super().__init__()
        self.prefs = {"network.proxy.type": 0, "browser.shell.checkDefaultBrowser": False,
                      **(prefs or {})}

    def command_and_capabilities(self):
        gecko = shutil.which("geckodriver")
        if not gecko:
            raise RuntimeError("geckodriver not found on PATH (run scripts/setup.sh)")
        caps = {"browserName": "firefox",
                "moz:firefoxOptions": {"binary": firefox_binary(), "args": ["-headless"],
                                       "prefs": self.prefs}}
        return [gecko, "--port", "{port}", "--host", "127.0.0.1"], caps


class Server:
    """Runs tools/serve.py (the server `make demo` uses) on a free port, logging requests."""

    def __init__(self, root: str, pkg_dir: str):
        self.root = root
        self.pkg_dir = pkg_dir
        self.port = free_port()
        self.log_path = os.path.join(tempfile.mkdtemp(prefix="localrec-serve-"), "requests.log")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(self.root, "tools", "serve.py"), "--port", str(self.port),
             "--pkg", self.pkg_dir, "--log", self.log_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list:
        with open(self.log_path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f if line.strip()]

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        return False
