"""A minimal DevTools client for the headless `chromium` of the browser tests: evaluates an expression in a loaded
page, for what a screenshot cannot tell (the page's layout width). Standard library only (a tiny WebSocket
client): the project adds no browser-automation dependency for one measurement.

DevTools evaluation is not subject to the page's Content-Security-Policy, so a page without any script can still
be measured.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import struct
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LISTENING = re.compile(r"DevTools listening on (ws://[^\s]+)")


class DevToolsPage:
    def __init__(self, ws_url: str) -> None:
        parsed = urllib.parse.urlparse(ws_url)
        self._sock = socket.create_connection((parsed.hostname, parsed.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall(
            f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self._sock.recv(4096)
        assert response.startswith(b"HTTP/1.1 101"), response[:200]
        self._buffer = response.split(b"\r\n\r\n", 1)[1]
        self._next_id = 0

    def _send(self, text: str) -> None:
        payload = text.encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        mask = os.urandom(4)
        self._sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self._sock.recv(65536)
            assert chunk, "DevTools closed the connection"
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _receive(self) -> str:
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        payload = self._read(length)
        return payload.decode() if first & 0x0F == 0x1 else ""

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self._send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            text = self._receive()
            message = json.loads(text) if text else {}
            if message.get("id") == self._next_id:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        self._sock.close()


@contextmanager
def open_page(chromium: str, url: str, profile: Path, width: int, height: int) -> Iterator[DevToolsPage]:
    """`url` loaded (document complete) in a headless chromium window of `width`×`height` CSS pixels."""
    command = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        browser = _browser_endpoint(process)
        port = urllib.parse.urlparse(browser).port
        request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=60) as answer:
            target = json.load(answer)
        page = DevToolsPage(target["webSocketDebuggerUrl"])
        try:
            # A phone's viewport (headless windows have a minimum width), set before the page loads.
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=2,
                mobile=True,
            )
            page.call("Page.navigate", url=url)
            _wait_loaded(page, url)
            yield page
        finally:
            page.close()
    finally:
        process.terminate()
        process.wait(timeout=60)


def _browser_endpoint(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:  # chromium prints the endpoint once it listens; ends if chromium exits
        seen.append(line)
        found = LISTENING.search(line)
        if found:
            # Keep reading what chromium writes later, so a full pipe never blocks it.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return found.group(1)
    raise AssertionError("chromium exited before DevTools listened:\n" + "".join(seen[-20:]))


def _wait_loaded(page: DevToolsPage, url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("location.href") == url and page.evaluate("document.readyState") == "complete":
            return
        time.sleep(0.1)
    raise AssertionError("the page did not finish loading")
