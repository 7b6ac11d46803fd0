"""Helpers for the security suite: a real ``ringlog view`` subprocess and raw HTTP requests.

Requests go through :mod:`http.client` so that every header -- ``Host`` included -- is exactly what
the test says (a browser after DNS rebinding, a page on another site, a sandboxed frame).
The server always binds 127.0.0.1: tests never open a port to the network.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def view_command() -> list[str]:
    """``ringlog view`` as installed next to this interpreter (the console script users run)."""
    script = Path(sys.executable).with_name("ringlog")
    if script.is_file():
        return [str(script), "view"]
    found = shutil.which("ringlog")
    return [found, "view"] if found else [sys.executable, "-m", "ringlog.cli", "view"]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    set_cookies: list[str] = field(default_factory=list)

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Viewer:
    """``ringlog view --root ROOT --port P ARGS...`` on 127.0.0.1, started and stopped by the test."""

    def __init__(self, root: Path, *args: str, env: dict | None = None):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        cmd = [*view_command(), "--root", str(root), "--host", "127.0.0.1", "--port", str(self.port), *args]
        full_env = {**os.environ}
        full_env.pop("RINGLOG_TOKEN", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=full_env,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> "Viewer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ringlog view exited with {self.proc.returncode}: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"ringlog view did not listen on {self.port} within {timeout} s")

    def output(self) -> str:
        """Everything the server printed (once it has exited; ``""`` while it runs)."""
        if self.proc.poll() is None or self.proc.stdout is None or self.proc.stdout.closed:
            return self._out if hasattr(self, "_out") else ""
        self._out = self.proc.stdout.read().decode("utf-8", "replace")
        self.proc.stdout.close()
        return self._out

    def request(self, method: str, path: str, *, host: str | None = None, headers: dict | None = None,
                body: bytes | str | dict | None = None, timeout: float = 20.0) -> Answer:
        """One request on a fresh connection; ``host`` defaults to this viewer's own address."""
        hdrs = {"Host": host if host is not None else self.host, **(headers or {})}
        if isinstance(body, dict):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        t0 = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data,
                          time.monotonic() - t0, resp.headers.get_all("Set-Cookie") or [])
        finally:
            conn.close()

    def stop(self) -> str:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        return self.output()
