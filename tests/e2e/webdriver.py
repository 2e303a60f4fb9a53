"""A tiny W3C WebDriver client over urllib (standard library only), enough to
drive headless Firefox through geckodriver: sessions, navigation, scripts,
elements, keys, window size, screenshots."""

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
KEYS = {"enter": "\ue007", "tab": "\ue004", "shift": "\ue008"}


class WebDriverError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise WebDriverError(f"process exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise WebDriverError(f"nothing listening on port {port} after {timeout}s")


class Element:
    def __init__(self, session, element_id):
        self.session = session
        self.id = element_id

    def _url(self, suffix):
        return f"/element/{self.id}/{suffix}"

    def click(self):
        self.session.cmd("POST", self._url("click"), {})

    def send_keys(self, text):
        self.session.cmd("POST", self._url("value"), {"text": text})

    def clear(self):
        self.session.cmd("POST", self._url("clear"), {})

    @property
    def text(self):
        return self.session.cmd("GET", self._url("text"))


class Firefox:
    """geckodriver + one headless Firefox session. Use as a context manager."""

    def __init__(self, binary="/usr/bin/firefox-esr", geckodriver=None, width=1280, height=900, log_path=None,
                 prefs=None):
        self.binary = binary
        self.geckodriver = geckodriver or shutil.which("geckodriver")
        if not self.geckodriver:
            raise WebDriverError("geckodriver not found on PATH")
        if not os.path.exists(binary):
            raise WebDriverError(f"Firefox binary {binary} not found")
        self.size = (width, height)
        self.log_path = log_path
        self.extra_prefs = dict(prefs or {})
        self.proc = None
        self.base = None
        self.session_id = None

    def __enter__(self):
        port = free_port()
        log = open(self.log_path, "w") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen([self.geckodriver, "--port", str(port), "--host", "127.0.0.1"],
                                     stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(port, proc=self.proc)
        self.base = f"http://127.0.0.1:{port}"
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "firefox",
            "acceptInsecureCerts": False,
            "unhandledPromptBehavior": "dismiss and notify",
            "moz:firefoxOptions": {
                "binary": self.binary,
                "args": ["-headless", f"--width={self.size[0]}", f"--height={self.size[1]}"],
                "prefs": {
                    # No background network chatter from the browser itself.
                    "app.update.enabled": False,
                    "browser.shell.checkDefaultBrowser": False,
                    "datareporting.policy.dataSubmissionEnabled": False,
                    "toolkit.telemetry.enabled": False,
                    "network.captive-portal-service.enabled": False,
                    "browser.safebrowsing.malware.enabled": False,
                    "browser.safebrowsing.phishing.enabled": False,
                    **self.extra_prefs,
                },
            },
        }}}
        value = self._request("POST", "/session", caps)
        self.session_id = value["sessionId"]
        return self

    def __exit__(self, *exc):
        try:
            if self.session_id:
                self._request("DELETE", f"/session/{self.session_id}", None, timeout=20)
        except Exception:
            pass
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return False

    def _request(self, method, path, body, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                payload = json.loads(res.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                payload = json.loads(e.read())
            except Exception:
                raise WebDriverError(f"{method} {path}: HTTP {e.code}") from None
        value = payload.get("value")
        if isinstance(value, dict) and "error" in value:
            raise WebDriverError(f"{method} {path}: {value['error']}: {value.get('message', '')[:500]}")
        return value

    def cmd(self, method, path, body=None, timeout=60):
        return self._request(method, f"/session/{self.session_id}{path}", body, timeout)

    # --- navigation and scripts ---
    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def refresh(self):
        self.cmd("POST", "/refresh", {})

    def execute(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script, *args):
        """`script` must call arguments[arguments.length - 1](result)."""
        return self.cmd("POST", "/execute/async", {"script": script, "args": list(args)})

    def wait(self, script, *args, timeout=20.0, message="condition"):
        """Polls a JS expression body (`return …`) until truthy; returns its value."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.execute(script, *args)
            if last:
                return last
            time.sleep(0.1)
        raise WebDriverError(f"timed out after {timeout}s waiting for {message} (last value {last!r})")

    # --- elements ---
    def find(self, css):
        value = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return Element(self, value[ELEMENT_KEY])

    def find_all(self, css):
        values = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self, v[ELEMENT_KEY]) for v in values]

    def active_element(self):
        return Element(self, self.cmd("GET", "/element/active")[ELEMENT_KEY])

    def press(self, *keys):
        """Presses keys (names from KEYS or single characters) on whatever has focus."""
        actions = []
        for k in keys:
            code = KEYS.get(k, k)
            actions += [{"type": "keyDown", "value": code}, {"type": "keyUp", "value": code}]
        self.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})
        self.cmd("DELETE", "/actions")

    # --- window ---
    def set_window_size(self, width, height):
        self.cmd("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def alert_text(self):
        try:
            return self.cmd("GET", "/alert/text")
        except WebDriverError:
            return None


def temp_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix)
