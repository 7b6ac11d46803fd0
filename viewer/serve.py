"""Run the viewer under waitress (a production WSGI server), loopback by default.

Who may connect is decided here, once, and enforced by ``guard.py`` on every request:

* loopback (``127.0.0.1``, ``localhost``, ``::1``): no token unless one is given;
* any other address (``0.0.0.0``, a LAN address): a token is required -- the one given with
  ``token=`` (``--token``) or ``$RINGLOG_TOKEN``, else a generated one, printed at start inside a
  URL that logs the browser in (as Jupyter does);
* ``no_auth=True`` (``--no-auth``) serves without a token anyway, and says so loudly.

``allow_hosts`` adds host names the ``Host`` header may carry (besides localhost, 127.0.0.1 and
[::1]); a specific bind address is added by itself, a wildcard one (``0.0.0.0``, ``::``) is not.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ringlog.store import default_root

from .guard import is_loopback, normalize_host, resolve_token

log = logging.getLogger("ringlog.viewer")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
TOKEN_ENV = "RINGLOG_TOKEN"
WILDCARDS = ("0.0.0.0", "::", "", "[::]")
NO_AUTH_WARNING = ("--no-auth: this viewer is served WITHOUT authentication on {host}: anyone who can reach "
                   "this address can read every task, config, console line and media file, and edit reports")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def access_config(host: str, *, allow_hosts: Iterable[str] = (), token: str | None = None,
                  no_auth: bool = False, environ: dict | None = None) -> dict:
    """The app config entries (``RINGLOG_ALLOWED_HOSTS``, ``RINGLOG_TOKEN``) for serving on ``host``.

    ``token`` falls back to ``$RINGLOG_TOKEN`` (``environ``, default ``os.environ``).
    ``ValueError`` for a malformed allowed host, an empty token, or a token with ``no_auth``.
    """
    env = os.environ if environ is None else environ
    if token is None and env.get(TOKEN_ENV):
        token = env[TOKEN_ENV]
    hosts = [normalize_host(h) for h in allow_hosts]
    if host.strip("[]") not in WILDCARDS:  # a specific address (127.0.0.2, a LAN IP) is how clients reach it
        hosts.append(normalize_host(host))
    return {"RINGLOG_ALLOWED_HOSTS": tuple(dict.fromkeys(hosts)),
            "RINGLOG_TOKEN": resolve_token(host, token=token, no_auth=no_auth)}


def serve(root: str | Path | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          threads: int = 8, app=None, allow_hosts: Iterable[str] = (), token: str | None = None,
          no_auth: bool = False) -> None:
    """Serve the viewer for the store at ``root`` until interrupted (blocks).

    ``allow_hosts``, ``token`` and ``no_auth`` decide who may connect (module docstring); they
    configure the app built here (an ``app`` passed in keeps its own configuration).
    """
    from waitress import serve as waitress_serve

    from .app import create_app

    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError(f"argument 'port' must be an integer in 0..65535; got {port!r}")
    url = root if isinstance(root, str) and "://" in root else None  # s3://...: read from the bucket
    if root is None and "://" in os.environ.get("RINGLOG_DIR", ""):
        url = os.environ["RINGLOG_DIR"]
    if url is None:
        root = Path(root) if root is not None else default_root()
    access = access_config(host, allow_hosts=allow_hosts, token=token, no_auth=no_auth)
    if url is not None and app is None:  # a bucket: the app reads Store(url), a local read cache of it
        from ringlog.store import Store

        app = create_app(config={**access, "RINGLOG_STORE": Store(url)})
        root = app.config["RINGLOG_ROOT"]
    app = app or create_app(root, config=access)
    start_warmup()
    url = f"http://{_url_host(host)}:{port}/"
    if no_auth and not is_loopback(host):
        log.warning(NO_AUTH_WARNING.format(host=host))
        print(NO_AUTH_WARNING.format(host=host), flush=True)
    print(f"ringlog viewer: serving {root.resolve()} at {url}", flush=True)
    if access["RINGLOG_TOKEN"] is not None:
        shown = _url_host("127.0.0.1" if host.strip("[]") in WILDCARDS else host)
        print(f"ringlog viewer: this viewer needs a token; open\n    http://{shown}:{port}/?token="
              f"{access['RINGLOG_TOKEN']}\n  or send 'Authorization: Bearer <token>'", flush=True)
    if host.strip("[]") in WILDCARDS:
        print("ringlog viewer: browsers must reach it by localhost/127.0.0.1 or a name given with --allow-host "
              "(other Host headers get 421)", flush=True)
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
