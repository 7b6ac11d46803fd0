"""Run the viewer under waitress (a production WSGI server), loopback by default.

Binding a non-loopback host exposes every logged metric, file and console line to that
network; the viewer has no authentication, so :func:`serve` logs a warning when asked to.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("ringlog.viewer")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def default_root() -> Path:
    """``$RINGLOG_DIR`` if set, else ``./ringlog_data`` (where the SDK writes by default)."""
    import os

    return Path(os.environ.get("RINGLOG_DIR") or "ringlog_data")


def serve(root: str | Path | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          threads: int = 8, app=None) -> None:
    """Serve the viewer for the store at ``root`` until interrupted (blocks)."""
    from waitress import serve as waitress_serve

    from .app import create_app

    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError(f"argument 'port' must be an integer in 0..65535; got {port!r}")
    root = Path(root) if root is not None else default_root()
    app = app or create_app(root)
    start_warmup()
    if host not in LOOPBACK:
        log.warning("ringlog viewer bound to %s: anyone who can reach this address can read every task", host)
    print(f"ringlog viewer: serving {root.resolve()} at http://{host if ':' not in host else f'[{host}]'}:{port}/",
          flush=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="ringlog")


WARMUP_PARTS = ("decimate", "pyramid")


def start_warmup(parts: tuple[str, ...] = WARMUP_PARTS):
    """Compile/load the reader's numba kernels on a daemon thread; returns the thread.

    On a fresh machine (empty numba cache) the first decimate query would otherwise wait
    seconds to a minute for compiles. Nothing waits for this thread: a request that needs a
    kernel before it is ready compiles it on demand (numba's compiler lock makes that safe).
    A failure is logged, never raised: the viewer works without the head start.
    """
    import threading

    def _run() -> None:
        try:
            from ringlog.core import warmup

            seconds = warmup(tuple(parts))
            log.info("ringlog viewer: numba kernels %s ready in %.1f s", ", ".join(parts), seconds)
        except Exception:
            log.warning("ringlog viewer: kernel warm-up failed; charts compile on first use", exc_info=True)

    t = threading.Thread(target=_run, name="ringlog-viewer-warmup", daemon=True)
    t.start()
    return t


class BackgroundServer:
    """Waitress serving ``app`` on a thread (tests, benchmarks, notebooks); ``port=0`` picks a free one.

    ``threads`` defaults to :func:`serve`'s 8: a browser opens up to 6 connections, so none queue.

    Use as a context manager or call :meth:`close`; ``url`` is ``http://host:port``.
    """

    def __init__(self, app, host: str = DEFAULT_HOST, port: int = 0, threads: int = 8):
        import threading

        from waitress.server import create_server

        self._server = create_server(app, host=host, port=port, threads=threads, ident="ringlog")
        self.host = host
        self.port = int(self._server.effective_port)
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._run, name="ringlog-viewer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._server.run()
        except OSError:  # the socket closed under the loop during close(): expected
            pass

    def close(self, timeout: float = 5.0) -> None:
        self._server.close()
        self._thread.join(timeout)

    def __enter__(self) -> "BackgroundServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
