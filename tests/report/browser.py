"""Open a page in headless Chromium and report what a person would see: images, console errors, layout, a screenshot.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages
separated by NUL bytes on file descriptors 3 and 4), so nothing but the standard library is needed
and the page is opened as it is, unmodified.
"""

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any, Dict, List, Optional

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

INSPECT = """(() => {
  const images = Array.from(document.images).map(i => ({alt: i.alt, src: i.src.slice(0, 40), complete: i.complete,
                                                         width: i.naturalWidth, height: i.naturalHeight}));
  const h2 = Array.from(document.querySelectorAll("h2")).map(h => ({text: h.textContent.trim(),
      top: h.getBoundingClientRect().top + window.scrollY, in_failures: !!h.closest("section.failures")}));
  const body = document.body.firstElementChild;
  return JSON.stringify({images, h2, title: document.title, first: body ? body.tagName + "." + body.className : null,
                         height: document.documentElement.scrollHeight});
})()"""


def find() -> Optional[str]:
    """The Chromium (or Chrome) executable on PATH, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser(object):
    """One headless Chromium, spoken to over its DevTools pipe."""

    def __init__(self, executable: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="tfkit-chromium-")
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        to_child, from_child = (self._high(fd) for fd in (to_child, from_child))  # never 3 or 4 themselves

        def wire() -> None:  # in the child: its fds 3 and 4 are the protocol pipe
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self.proc = subprocess.Popen(
            [executable, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--user-data-dir=" + self.profile,
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=wire, pass_fds=(3, 4))
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.events = []  # type: List[Dict[str, Any]]

    @staticmethod
    def _high(fd: int) -> int:
        """``fd`` moved to a number of 10 or more."""
        import fcntl

        high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return high

    def _send(self, method: str, params: Optional[Dict[str, Any]] = None, session: Optional[str] = None) -> int:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode("utf-8") + b"\0")
        return self._next

    def _read(self, deadline: float) -> Dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.time()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer within %.0f s" % self.timeout)
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe (exit %s)" % self.proc.poll())
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw.decode("utf-8"))

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, session: Optional[str] = None) -> Dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept in ``events``."""
        wanted = self._send(method, params, session)
        deadline = time.time() + self.timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str) -> Dict[str, Any]:
        deadline = time.time() + self.timeout
        for event in self.events:
            if event["method"] == method:
                return event
        while True:
            message = self._read(deadline)
            if "method" in message:
                self.events.append(message)
                if message["method"] == method:
                    return message

    def close(self) -> None:
        try:
            self._send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - closing is best effort; the process is killed below
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def errors(events: List[Dict[str, Any]]) -> List[str]:
    """Every console error, uncaught exception and failed resource load among the DevTools events."""
    out = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append("console.%s: %s" % (params["type"], " ".join(str(a.get("value", a.get("description")))
                                                                    for a in params.get("args", []))))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.append("exception: %s" % (details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            out.append("%s: %s %s" % (entry.get("source"), entry.get("text"), entry.get("url", "")))
    return out


def inspect(executable: str, path: str, screenshot: Optional[str] = None) -> Dict[str, Any]:
    """Open ``path``; return its images, h2 headings (text, top, inside the failures box), errors and a screenshot."""
    browser = Browser(executable)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(domain + ".enable", session=session)
        browser.call("Page.navigate", {"url": "file://" + os.path.abspath(path)}, session=session)
        browser.wait_for("Page.loadEventFired")
        found = json.loads(browser.call("Runtime.evaluate", {"expression": INSPECT, "returnByValue": True},
                                        session=session)["result"]["value"])
        if screenshot:
            height = min(int(found["height"]), 16000)
            browser.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": height,
                                                                "deviceScaleFactor": 1, "mobile": False},
                         session=session)
            shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
            with open(screenshot, "wb") as handle:
                handle.write(base64.b64decode(shot))
        time.sleep(0.2)  # late console messages
        browser.call("Runtime.evaluate", {"expression": "1"}, session=session)
        found["errors"] = errors(browser.events)
        return found
    finally:
        browser.close()
