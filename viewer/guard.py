"""The request guard: who may talk to the viewer, checked before any route runs.

Three checks, in this order, on every request (threat model in ``SECURITY.md``):

1. **Host** (DNS rebinding): the ``Host`` header must name an allowed host -- ``localhost``,
   ``127.0.0.1``, ``[::1]`` and the names given with ``--allow-host`` (any port, so an SSH tunnel on
   another local port still works). A page on ``evil.com`` that rebinds its name to 127.0.0.1 still
   sends ``Host: evil.com``, and gets **421** with a JSON body.
2. **Token** (only when the app has one: always when bound off loopback, see
   :func:`resolve_token`): ``Authorization: Bearer <token>``, ``X-Ringlog-Token: <token>``, the
   cookie set by the one-time ``?token=<token>`` URL (answered with a redirect to the same URL
   without it, setting an ``HttpOnly; SameSite=Strict`` cookie), or **401**. Static assets (the
   package's own JS/CSS, no data) are served without it. Compared with :func:`hmac.compare_digest`.
3. **Same origin for writes** (CSRF): POST/PUT/PATCH/DELETE and the PDF export (a GET that starts
   Chromium) are refused with **403** (JSON) when the browser says the request comes from
   elsewhere: an ``Origin`` (or, without one, a ``Referer``) that is not this viewer -- its host must
   be allowed *and* equal the (already checked) ``Host`` -- ``Origin: null`` (sandboxed frames), or
   ``Sec-Fetch-Site: cross-site``/``same-site``. Browsers send ``Origin`` with every such request,
   so a request with none of these headers is a script or ``curl``, not a web page, and passes;
   a request that authenticated with a token header (which a page cannot add cross-site without a
   CORS preflight the viewer never grants) passes as well.

State lives on the app (``app.extensions["ringlog_guard"]``), configured from
``app.config["RINGLOG_ALLOWED_HOSTS"]`` (extra host names) and ``app.config["RINGLOG_TOKEN"]``
(``None``: no authentication).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, g, redirect, request

from .errors import CrossSiteError, MisdirectedError, UnauthorizedError

#: host names allowed in ``Host`` by default (any port)
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "[::1]")
#: methods that change state (the PDF export is added by endpoint)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: GET endpoints guarded like writes: each costs a Chromium start
COSTLY_GET_ENDPOINTS = frozenset({"reports.api_pdf"})
#: requests answered without a token: the package's own static files (no user data)
PUBLIC_ENDPOINTS = frozenset({"static", "static_assets.plotly_js"})
TOKEN_PARAM = "token"
#: the widget data signature parameter (see :meth:`Guard.sign_widget`)
WIDGET_SIG_PARAM = "sig"
#: a scalar widget's zoom: left out of the signature, so a widget can re-ask a narrower x range of
#: the very series its signed query names (finer data on zoom) and nothing else
WIDGET_ZOOM_PARAMS = ("x_min", "x_max")
WIDGET_DATA_ENDPOINT = "widgets.widget_data"
TOKEN_HEADER = "X-Ringlog-Token"
_EXTENSION = "ringlog_guard"


# --------------------------------------------------------------------------- pure decisions
def normalize_host(name: str) -> str:
    """A host name as the guard compares it: lower case, IPv6 in brackets; ``ValueError`` if empty
    or carrying a port, path or scheme."""
    n = str(name).strip().lower()
    if n.startswith("[") and n.endswith("]"):
        n = n[1:-1]
    if not n or any(c in n for c in "/@?#\\ ") or (":" in n and not _is_ipv6(n)):
        raise ValueError(f"allowed host must be a bare host name or address (no scheme, port or path); got {name!r}")
    return f"[{n}]" if _is_ipv6(n) else n


def _is_ipv6(n: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(n), ipaddress.IPv6Address)
    except ValueError:
        return False


def split_host(value: str | None) -> tuple[str, int | None] | None:
    """``"Example.com:8765"`` -> ``("example.com", 8765)``; ``"[::1]"`` -> ``("[::1]", None)``;
    ``None`` for anything malformed (two colons outside brackets, a non-numeric port, ...)."""
    if not value:
        return None
    v = value.strip().lower()
    if v.startswith("["):
        end = v.find("]")
        if end < 0 or not _is_ipv6(v[1:end]):
            return None
        name, rest = v[:end + 1], v[end + 1:]
    else:
        name, sep, port = v.partition(":")
        rest = sep + port
    if not name or any(c in name for c in "/@?#\\ "):
        return None
    if not rest:
        return name, None
    port_s = rest[1:]
    if not rest.startswith(":") or not port_s.isdigit() or len(port_s) > 5 or int(port_s) > 65535:
        return None
    return name, int(port_s)


def host_allowed(host_header: str | None, allowed: Iterable[str]) -> bool:
    """Whether a ``Host`` header names one of ``allowed`` (normalized names, any port)."""
    parts = split_host(host_header)
    return parts is not None and parts[0] in set(allowed)


def same_origin(url: str | None, host_header: str | None, allowed: Iterable[str]) -> bool:
    """Whether ``url`` (an ``Origin`` or ``Referer``) is this viewer: http(s), its host allowed, and
    its host:port equal to the request's ``Host``. ``"null"`` (an opaque origin) never is."""
    if not url or url == "null":
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    origin_host = split_host(parts.netloc)
    request_host = split_host(host_header)
    if origin_host is None or request_host is None or origin_host[0] not in set(allowed):
        return False
    default = 443 if parts.scheme == "https" else 80
    return (origin_host[0], origin_host[1] or default) == (request_host[0], request_host[1] or default)


def cross_site_refusal(headers, host_header: str | None, allowed: Iterable[str]) -> str | None:
    """Why a state-changing request must be refused as cross-site, or ``None`` to let it through
    (the rule of point 3 in the module docstring). ``headers`` is a mapping of request headers."""
    site = headers.get("Sec-Fetch-Site")
    if site in ("cross-site", "same-site"):
        return f"cross-site request refused (Sec-Fetch-Site: {site})"
    origin = headers.get("Origin")
    if origin is not None:
        if not same_origin(origin, host_header, allowed):
            return f"cross-site request refused: Origin {origin!r} is not this viewer"
        return None
    referer = headers.get("Referer")
    if referer is not None and not same_origin(referer, host_header, allowed):
        return "cross-site request refused: Referer is not this viewer"
    return None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` serves this machine only (``localhost``, 127.0.0.0/8, ``::1``).
    ``0.0.0.0``, ``::``, ``""`` and every other name or address serve a network."""
    h = str(host).strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, *, token: str | None = None, no_auth: bool = False,
                  generate: Callable[[], str] = lambda: secrets.token_urlsafe(24)) -> str | None:
    """The token the viewer must require, or ``None`` for none.

    A given token (``--token`` or ``RINGLOG_TOKEN``) is always required, on loopback too.
    Without one, binding off loopback generates one (printed at start, as Jupyter does) and
    loopback needs none. ``no_auth`` turns authentication off whatever the address (refused
    together with a token: the two contradict).
    """
    if token is not None and not str(token).strip():
        raise ValueError("argument 'token' must not be empty (omit it, or pass --no-auth to serve without one)")
    if no_auth:
        if token is not None:
            raise ValueError("--no-auth and a token (--token or RINGLOG_TOKEN) contradict each other: pass one")
        return None
    if token is not None:
        return str(token).strip()
    return None if is_loopback(host) else generate()


# --------------------------------------------------------------------------------- the guard
@dataclass(frozen=True)
class Guard:
    """The checks of one app: allowed host names (normalized) and the token (or ``None``)."""

    allowed_hosts: frozenset[str]
    token: str | None = None
    #: signs widget queries; random per process, so signatures die with the server
    widget_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def sign_widget(self, args) -> str:
        """The signature of a widget query (a MultiDict; ``sig`` itself left out).

        The widget page (which only a request that passed every check sees) hands it to its script,
        which sends it with ``/widgets/data``. Report widgets run in frames sandboxed without
        ``allow-same-origin``: their data request comes from ``Origin: null`` and carries no cookie,
        so this signature is what lets it through (token or not) and what earns the CORS grant
        (``security.py``) -- for that exact query only, up to the zoom bounds ``x_min``/``x_max``
        (``WIDGET_ZOOM_PARAMS``), which only narrow the x range of the series it names. A page
        elsewhere cannot forge it.
        """
        items = [(k, v) for k, v in args.items(multi=True) if k != WIDGET_SIG_PARAM and k not in WIDGET_ZOOM_PARAMS]
        return hmac.new(self.widget_key, urlencode(items).encode("utf-8"), "sha256").hexdigest()[:32]

    def _signed_widget_request(self) -> bool:
        sig = request.args.get(WIDGET_SIG_PARAM)
        return (request.endpoint == WIDGET_DATA_ENDPOINT and bool(sig)
                and hmac.compare_digest(sig.encode("utf-8", "replace"), self.sign_widget(request.args).encode()))

    @property
    def cookie_name(self) -> str:
        # per token, so two viewers on one machine (cookies ignore ports) do not evict each other
        digest = hashlib.sha256((self.token or "").encode("utf-8")).hexdigest()[:10]
        return f"ringlog_token_{digest}"

    def token_matches(self, given: str | None) -> bool:
        if not given or self.token is None:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def header_token(self) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        return request.headers.get(TOKEN_HEADER)

    def check(self) -> Response | None:
        """Run before every request: ``None`` to go on, the token redirect, or raise the refusal
        (:class:`~.errors.RefusedError`, answered by ``errors.py`` like every other error)."""
        host = request.headers.get("Host")
        if not host_allowed(host, self.allowed_hosts):
            raise MisdirectedError(f"host {host!r} is not served here: this viewer answers "
                                   f"{', '.join(sorted(self.allowed_hosts))} (add names with --allow-host)")
        header_auth = False
        signed = g.ringlog_signed_widget = self._signed_widget_request()
        if self.token is not None and not signed:
            if self.token_matches(self.header_token()):
                header_auth = True
            elif request.method in ("GET", "HEAD") and TOKEN_PARAM in request.args:
                return self._exchange_url_token()
            elif (not self.token_matches(request.cookies.get(self.cookie_name))
                  and request.endpoint not in PUBLIC_ENDPOINTS):
                raise UnauthorizedError("this viewer needs its token: open the URL with ?token=... that "
                                        "'ringlog view' printed, or send 'Authorization: Bearer <token>'",
                                        json_only=False)
        if (request.method in UNSAFE_METHODS or request.endpoint in COSTLY_GET_ENDPOINTS) and not header_auth:
            why = cross_site_refusal(request.headers, host, self.allowed_hosts)
            if why is not None:
                raise CrossSiteError(why)
        return None

    def _exchange_url_token(self) -> Response:
        """``?token=`` once: a valid one sets the cookie and redirects to the URL without it."""
        if not self.token_matches(request.args.get(TOKEN_PARAM)):
            raise UnauthorizedError("the token in the URL is not this viewer's")
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != TOKEN_PARAM]
        resp = redirect(request.path + ("?" + urlencode(rest) if rest else ""), code=303)
        resp.set_cookie(self.cookie_name, self.token, httponly=True, samesite="Strict", path="/",
                        secure=request.scheme == "https")
        resp.headers["Cache-Control"] = "no-store"
        return resp


def current_guard() -> Guard:
    """The guard of the app serving this request."""
    return current_app.extensions[_EXTENSION]


def install(app: Flask) -> Guard:
    """Check every request of ``app`` (called once by ``create_app``, before the blueprints).

    Reads ``RINGLOG_ALLOWED_HOSTS`` (extra names, added to :data:`DEFAULT_ALLOWED_HOSTS`) and
    ``RINGLOG_TOKEN`` from ``app.config``.
    """
    extra = app.config.get("RINGLOG_ALLOWED_HOSTS") or ()
    if isinstance(extra, str):
        extra = (extra,)
    token = app.config.get("RINGLOG_TOKEN")
    guard = Guard(frozenset(normalize_host(h) for h in (*DEFAULT_ALLOWED_HOSTS, *extra)), token or None)
    app.extensions[_EXTENSION] = guard
    app.before_request(guard.check)
    return guard
