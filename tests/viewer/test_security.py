"""The viewer as an attacker meets it (issue 14; threat model in viewer/SECURITY.md).

Every test talks to a REAL ``ringlog view`` subprocess bound to 127.0.0.1, over a store built with
the store's own test kit, with raw ``http.client`` requests whose headers (``Host`` included) are
exactly those of a hostile page after DNS rebinding, a page on another site, a sandboxed frame or a
colleague on the network. Two viewers run for the whole module: ``open_viewer`` (loopback, no
token: the default) and ``token_viewer`` (``--token``, which turns authentication on while still
bound to loopback; tests never bind a non-loopback address). The "non-loopback needs a token"
decision is tested as the pure function it is.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from ringlog.store.reports import ReportStore
from ringlog.store.testing import add_task, html, image, make_store, noisy_series

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("ringlog_viewer_tests_hostile", HERE / "hostile.py")
hostile = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(hostile)

TOKEN = "s3cret-token-for-tests"
EVIL = "evil.example"
PASSWD_MARK = "root:x:0:0"
LONG_NAME = "x" * 30  # (.*.*)*\x00 against this name would backtrack for hours with re


# ------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A store with a task (scalars, image + HTML samples, forged media records), a task with a
    long name, and a report embedding a widget; its root and ids."""
    root = tmp_path_factory.mktemp("secstore") / "store"
    st = make_store(root)
    reader = add_task(st, "vision", "resnet", scalars={"loss": noisy_series(2000, seed=1)},
                      media=[image("samples", "input", 1), html("samples", "page", 1, "<p>hi</p>")],
                      console=[(1.7e9, "stdout", "info", "hello")])
    add_task(st, "vision", LONG_NAME, scalars={"acc": noisy_series(50, seed=2)})
    # a tampered media index: records pointing out of the task folder, and a symlink inside media/
    media_dir = reader.path / "media"
    (media_dir / "link.png").symlink_to("/etc/passwd")
    index = reader.path / "media.jsonl"
    last = max(json.loads(line)["id"] for line in index.read_text().splitlines())
    forged = [{"path": "/etc/passwd"}, {"uri": "file:///etc/passwd"}, {"path": "media/../zarr.json"},
              {"path": "media/link.png"}, {"path": "../../../../../etc/passwd"}]
    with open(index, "a") as f:
        for i, fields in enumerate(forged, start=1):
            f.write(json.dumps({"op": "add", "id": last + i, "title": "forged", "series": f"s{i}", "iteration": 0,
                                "n": 0, "kind": "image", "ext": "png", "caption": None, "time": 1.7e9,
                                **fields}) + "\n")
    reports = ReportStore(root)
    doc = reports.create(name="Results", project="vision",
                         markdown=f'# Results\n\n<iframe src="/widgets/?type=scalar&objects={reader.id}'
                                  '&metrics=loss"></iframe>\n')
    victim = reports.create(name="Victim", project="vision", markdown="keep me")
    return {"root": root, "task": reader.id, "forged_ids": [last + i for i in range(1, len(forged) + 1)],
            "report": doc["id"], "victim": victim["id"], "store": st}


@pytest.fixture(scope="module")
def viewers(world):
    """Both servers, started together (each start costs an interpreter and a flask import); each
    fixture below waits only for its own, so one failing to start fails only its tests."""
    started = (hostile.Viewer(world["root"]),
               hostile.Viewer(world["root"], "--token", TOKEN, "--allow-host", "team.example"))
    try:
        yield started
    finally:
        outputs = [v.stop() for v in started]  # stop both before judging either
    for out in outputs:
        assert "Traceback" not in out, out


@pytest.fixture(scope="module")
def open_viewer(viewers):
    return viewers[0].wait_ready()


@pytest.fixture(scope="module")
def token_viewer(viewers):
    return viewers[1].wait_ready()


@pytest.fixture(scope="module")
def routes(world):
    """Every (method, rule, filled path) of the app's url_map, with real ids in each placeholder."""
    from ringlog.viewer.app import create_app

    app = create_app(world["root"])
    values = {"task_id": world["task"], "report_id": world["report"], "record_id": "0", "project": "vision",
              "name": "x.png", "filename": "ringlog.css"}
    out = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(r"<(?:[a-z]+:)?%s>" % arg, values[arg], path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule.rule, rule.endpoint, path))
    assert len(out) >= 40, out  # every route the viewer has; a new one is covered by itself
    return out


def _reports(v) -> set[str]:
    a = v.request("GET", "/api/reports?archived=all")
    assert a.status == 200, a.text
    return {r["id"] for r in a.json()["reports"]}


# ------------------------------------------------------------------------------- 1. DNS rebinding
def test_rebinding_host_is_refused_on_every_route(open_viewer, routes, world):
    """After DNS rebinding the browser still sends the attacker's name as Host: 421, on every route
    and method, before any route runs (so nothing is read and nothing is written)."""
    before = _reports(open_viewer)
    wrong = []
    for method, rule, _, path in routes:
        host = f"{EVIL}:{open_viewer.port}"
        a = open_viewer.request(method, path, host=host, headers={"Origin": f"http://{host}"},
                                body={"name": "pwned", "project": "p"} if method != "GET" else None)
        if a.status != 421 or a.headers.get("content-type") != "application/json" or a.json()["error"]["code"] != 421:
            wrong.append((method, rule, a.status, a.text[:80]))
    assert not wrong, wrong
    assert _reports(open_viewer) == before


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example:{port}", "127.0.0.1.nip.io:{port}",
                                  "127.0.0.1@evil.example", "[::1].evil.example", "localhost:abc", "",
                                  "localhost:{port}/x", "127.0.0.2:{port}", "0.0.0.0:{port}", "LOCALHOST.:{port}"])
def test_hostile_host_forms_are_refused(open_viewer, host):
    a = open_viewer.request("GET", "/api/projects", host=host.format(port=open_viewer.port))
    assert a.status == 421, (host, a.status, a.text[:200])


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:9999", "[::1]:{port}",
                                  "127.0.0.1", "[::1]"])
def test_loopback_names_on_any_port_are_served(open_viewer, host):
    """An SSH tunnel on another local port sends its own port in Host: still served."""
    a = open_viewer.request("GET", "/api/projects", host=host.format(port=open_viewer.port))
    assert a.status == 200, (host, a.text[:200])
    assert {p["name"] for p in a.json()["projects"]} == {"vision"}


def test_allow_host_adds_a_name(token_viewer):
    a = token_viewer.request("GET", "/api/projects", host="team.example:8080", headers={"X-Ringlog-Token": TOKEN})
    assert a.status == 200, a.text
    assert token_viewer.request("GET", "/api/projects", host="evil.team.example",
                                headers={"X-Ringlog-Token": TOKEN}).status == 421


# ----------------------------------------------------------------------------- 2. cross-site writes
def test_forged_host_and_origin_pair_cannot_write(open_viewer, world):
    """The attack that worked before: Host and Origin both the attacker's (consistent after rebinding)."""
    host = f"{EVIL}:{open_viewer.port}"
    hdrs = {"Origin": f"http://{host}"}
    before = _reports(open_viewer)
    assert open_viewer.request("POST", "/api/reports", host=host, headers=hdrs,
                               body={"name": "pwned", "project": "p"}).status == 421
    assert open_viewer.request("POST", f"/api/reports/{world['victim']}/archive", host=host, headers=hdrs,
                               body={}).status == 421
    assert open_viewer.request("DELETE", f"/api/reports/{world['victim']}", host=host, headers=hdrs).status == 421
    assert _reports(open_viewer) == before


def _writes(world):
    r = world["victim"]
    return [("POST", "/api/reports", {"name": "pwned", "project": "p"}),
            ("PATCH", f"/api/reports/{r}", {"markdown": "pwned"}),
            ("POST", f"/api/reports/{r}/rename", {"name": "pwned"}),
            ("POST", f"/api/reports/{r}/archive", {}),
            ("POST", f"/api/reports/{r}/publish", {}),
            ("DELETE", f"/api/reports/{r}", None),
            ("POST", "/api/reports/preview", {"markdown": "x"}),
            ("GET", f"/api/reports/{world['report']}/pdf", None)]


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "http://localhost:1"},
    {"Origin": "http://127.0.0.1.evil.example:{port}"}, {"Origin": "file://"}, {"Origin": "garbage"},
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
    {"Referer": "http://evil.example/page"}, {"Referer": "http://localhost:1/"},
    {"Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "cross-site"},
], ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()))
def test_cross_site_writes_and_pdf_export_are_refused(open_viewer, world, headers):
    """A foreign or opaque Origin/Referer, or the browser's own cross-site label: 403 JSON on every
    state-changing route and on the PDF export (which starts Chromium), and nothing changes."""
    hdrs = {k: v.format(port=open_viewer.port) for k, v in headers.items()}
    before = _reports(open_viewer)
    for method, path, body in _writes(world):
        a = open_viewer.request(method, path, headers=hdrs, body=body)
        assert a.status == 403, (method, path, a.status, a.text[:200])
        assert a.headers["content-type"] == "application/json" and a.json()["error"]["code"] == 403
    assert _reports(open_viewer) == before
    assert open_viewer.request("GET", f"/api/reports/{world['victim']}").json()["markdown"] == "keep me"


@pytest.mark.parametrize("host,origin", [("127.0.0.1:{port}", "http://127.0.0.1:{port}"),
                                         ("localhost:9000", "http://localhost:9000"),  # an SSH tunnel
                                         ("127.0.0.1:{port}", None)])  # a script: no Origin at all
def test_same_origin_writes_still_work(open_viewer, host, origin):
    hdrs = {"Origin": origin.format(port=open_viewer.port)} if origin else {}
    host = host.format(port=open_viewer.port)
    a = open_viewer.request("POST", "/api/reports", host=host, headers=hdrs, body={"name": "mine", "project": "scratch"})
    assert a.status == 201, a.text
    rid = a.json()["id"]
    assert open_viewer.request("POST", f"/api/reports/{rid}/archive", host=host, headers=hdrs, body={}).status == 200
    assert open_viewer.request("DELETE", f"/api/reports/{rid}", host=host, headers=hdrs).status == 200


# ------------------------------------------------------------------ 3. traversal and server paths
TRAVERSALS = ["..", "%2e%2e", "..%2F..%2F..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cwindows%5Cwin.ini",
              "%2Fetc%2Fpasswd", "file%3A%2F%2F%2Fetc%2Fpasswd", "....%2F%2F....%2F%2Fetc%2Fpasswd",
              "%00", "x%00.png", "%252e%252e%252fetc", "C%3A%5Cwindows", "%C0%AE%C0%AE%2F"]
RAW_PATHS = ["/static/../viewer/guard.py", "/static/..%2Fguard.py", "/static/%2e%2e/app.py",
             "/projects/../../../../etc/passwd", "/projects//etc/passwd", "/media/{task}/-1",
             "/media/{task}/99999999999999999999999999", "/media/..%2F..%2F..%2Fetc/0",
             "/api/reports/{report}/assets/..%2F..%2Findex.json", "/api/reports/..%2F{report}/assets/x.png",
             "//etc/passwd", "/static//etc/passwd"]


def _no_leak(a, world) -> list[str]:
    bad = []
    text = a.text
    if PASSWD_MARK in text:
        bad.append("/etc/passwd content")
    if "import " in text and "from __future__" in text:
        bad.append("python source")
    for p in {str(world["root"]), str(Path(world["root"]).resolve()), str(Path(world["root"]).parent)}:
        if p in text:
            bad.append(f"server path {p}")
    if a.status >= 500:
        bad.append(f"status {a.status}")
    return bad


def test_traversal_through_every_route_that_takes_a_name_or_path(open_viewer, routes, world):
    """Every placeholder of every GET route gets each traversal payload: never a file outside what
    the route serves, never a server path in the body, never a 500."""
    wrong = []
    for method, rule, endpoint, _ in routes:
        if method != "GET" or "<" not in rule:
            continue
        for payload in TRAVERSALS:
            path = re.sub(r"<[^>]+>", payload, rule)
            a = open_viewer.request("GET", path)
            bad = _no_leak(a, world)
            if a.status == 200 and endpoint not in ("pages.project",):  # a project page shows any name
                bad.append("200")
            if bad:
                wrong.append((path, a.status, bad))
    for raw in RAW_PATHS:
        path = raw.format(task=world["task"], report=world["report"])
        a = open_viewer.request("GET", path)
        bad = _no_leak(a, world) + (["200"] if a.status == 200 and not path.startswith("/projects/") else [])
        if bad:
            wrong.append((path, a.status, bad))
    assert not wrong, wrong


def test_forged_media_index_records_are_never_served(open_viewer, world):
    """A tampered media.jsonl (absolute path, file:// URI, .., a symlink inside media/ to /etc/passwd)
    serves nothing: the store resolves the record id and confines it to the task's media folder."""
    listing = open_viewer.request("GET", f"/api/tasks/{world['task']}/media").json()
    forged = [it for g in listing["groups"] if g["title"] == "forged" for it in g["items"]]
    assert len(forged) == len(world["forged_ids"]) and all(it["url"] is None for it in forged), forged
    for rid in world["forged_ids"]:
        a = open_viewer.request("GET", f"/media/{world['task']}/{rid}")
        assert a.status == 404 and not _no_leak(a, world), (rid, a.status, a.text[:200])
    # the real samples are still served, each by its own id
    urls = [it["url"] for g in listing["groups"] if g["title"] == "samples" for it in g["items"]]
    assert len(urls) == 2 and all(open_viewer.request("GET", u).status == 200 for u in urls)


def test_error_bodies_never_name_server_paths(open_viewer, world):
    t, r = world["task"], world["report"]
    for path in ["/api/tasks/nosuchtask", "/tasks/nosuchtask", f"/api/tasks/{t}/scalar?title=nosuch",
                 "/api/reports/nosuchreport", "/reports/nosuchreport", f"/api/reports/{r}/assets/nosuch.png",
                 f"/media/{t}/424242", "/api/tasks/nosuchtask/console", "/widgets/?type=nosuch",
                 f"/api/tasks/{t}/export.csv?title=nosuch"]:
        a = open_viewer.request("GET", path, headers={"Accept": "text/html"})
        assert 400 <= a.status < 500, (path, a.status)
        assert not _no_leak(a, world), (path, _no_leak(a, world), a.text[:300])


# ------------------------------------------------------------------------ 4. bounded work per request
HOSTILE_PARAMS = [
    "/api/tasks?offset=99999999999999999999999", "/api/tasks?offset=-1", "/api/tasks?offset=1e9",
    "/api/tasks?limit=99999999999999999999999", "/api/tasks?limit=NaN", "/api/tasks?offset=0x10",
    "/api/tasks/{task}/console?since=99999999999999999999999", "/api/tasks/{task}/console?limit=-5",
    "/api/tasks/{task}/scalar?title=loss&points=99999999999999999999", "/api/tasks/{task}/scalar?title=loss&x_min=nan",
    "/api/tasks/{task}/scalar?title=loss&x_min=inf", "/api/tasks/{task}/scalar?title=loss&x_min=1e999",
    "/widgets/data?type=scalar&page=99999999999999999999999", "/widgets/data?type=scalar&page_size=99999999999999",
    "/widgets/data?type=scalar&page=-1", "/widgets/data?type=scalar&points=" + "9" * 5000,
    "/api/tasks?metric=loss:1e999:", "/api/tasks?metric=loss:nan:", "/api/tasks?sort=" + "a" * 10000,
]


@pytest.mark.parametrize("url", HOSTILE_PARAMS)
def test_hostile_query_parameters_are_400_not_500(open_viewer, world, url):
    a = open_viewer.request("GET", url.format(task=world["task"]))
    assert a.status == 400, (url, a.status, a.text[:300])
    assert a.json()["error"]["code"] == 400 and not _no_leak(a, world)


def test_user_regex_cannot_hold_the_server(open_viewer):
    """A catastrophic-backtracking pattern any web page can send from an <img>: answered at once,
    and the viewer stays responsive (before: re.search over a 30-character name for hours, GIL held)."""
    results = {}

    def hit(key, url):
        try:
            results[key] = open_viewer.request("GET", url, timeout=10)
        except OSError as e:  # socket timeout
            results[key] = e

    pattern = quote("(.*.*)*\x00", safe="")
    t = threading.Thread(target=hit, args=("regex", f"/widgets/data?type=single&name={pattern}"))
    t.start()
    time.sleep(0.3)
    hit("projects", "/api/projects")
    t.join(15)
    assert isinstance(results.get("projects"), hostile.Answer) and results["projects"].seconds < 2.0, results
    regex = results.get("regex")
    assert isinstance(regex, hostile.Answer) and regex.status < 500 and regex.seconds < 2.0, regex
    # the name filter still filters: plain text matches, case-insensitively, and matches nothing else
    found = open_viewer.request("GET", "/widgets/data?type=single&name=" + "X" * 10).json()
    assert [t["name"] for t in found["tasks"]] == [LONG_NAME]
    assert open_viewer.request("GET", "/widgets/data?type=single&name=" + pattern).json()["tasks"] == []


def test_pdf_limiter_single_flight_and_rate():
    """Concurrent exports of one report share one Chromium run; a repeat within the interval reuses it;
    more than ``concurrency`` reports at once, or too many waiters, get 429 (PdfBusyError)."""
    from ringlog.viewer.reports_pdf import PdfBusyError, PdfLimiter

    now = [0.0]
    lim = PdfLimiter(min_interval=10.0, concurrency=1, max_waiters=2, clock=lambda: now[0])
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(5)
        return b"%PDF-1"

    results: list = []

    def call(key):
        try:
            results.append(lim.run(key, slow))
        except PdfBusyError as e:
            results.append(e)

    threads = [threading.Thread(target=call, args=(("r", 1),))]
    threads[0].start()
    assert started.wait(5)
    threads += [threading.Thread(target=call, args=(("r", 1),)) for _ in range(3)]
    for th in threads[1:]:
        th.start()
    deadline = time.monotonic() + 5  # two callers wait on the flight, the third was refused at once
    while not (len(results) == 1 and lim._flights[("r", 1)].waiters == 2) and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(PdfBusyError):  # another report while one runs (concurrency=1)
        lim.run(("other", 1), slow)
    release.set()
    for th in threads:
        th.join(5)
    assert lim.runs == 1
    assert sorted(type(r).__name__ for r in results) == ["PdfBusyError", "bytes", "bytes", "bytes"]
    assert lim.run(("r", 1), slow) == b"%PDF-1" and lim.runs == 1  # within 10 s: the same result
    now[0] = 11.0
    assert lim.run(("r", 1), lambda: b"%PDF-2") == b"%PDF-2" and lim.runs == 2


# ---------------------------------------------------------------------------------- 5. headers
EVAL_ALLOWED = {"pages.compare"}  # plotly's parcoords (WebGL through regl, which compiles with new Function)


def test_headers_on_every_page(open_viewer, routes, world):
    wrong = []
    for method, rule, endpoint, path in routes:
        if method != "GET" or endpoint in ("reports.api_pdf",):
            continue
        if endpoint == "pages.compare":
            path += f"?ids={world['task']}"
        a = open_viewer.request("GET", path)
        h = a.headers
        csp = h.get("content-security-policy", "")
        problems = []
        if h.get("x-content-type-options") != "nosniff":
            problems.append("nosniff")
        if not csp:
            problems.append("no CSP")
        if "frame-ancestors 'self'" not in csp and "frame-ancestors 'none'" not in csp and "sandbox" not in csp:
            problems.append("frame-ancestors")
        if h.get("x-frame-options") not in ("SAMEORIGIN", "DENY"):
            problems.append("x-frame-options")
        if h.get("referrer-policy") not in ("no-referrer", "same-origin", "strict-origin"):
            problems.append("referrer-policy")
        if "'unsafe-eval'" in csp and endpoint not in EVAL_ALLOWED:
            problems.append("unsafe-eval")
        if problems:
            wrong.append((path, a.status, problems))
    assert not wrong, wrong


@pytest.mark.parametrize("wtype,needs_eval", [("scalar", False), ("single", False), ("sample", False),
                                              ("plot", True), ("parcoords", True)])
def test_widget_pages_allow_eval_only_for_webgl_traces(open_viewer, world, wtype, needs_eval):
    a = open_viewer.request("GET", f"/widgets/?type={wtype}&objects={world['task']}")
    assert a.status == 200
    assert ("'unsafe-eval'" in a.headers["content-security-policy"]) == needs_eval
    assert "frame-ancestors 'self'" in a.headers["content-security-policy"]


def test_report_widget_iframes_cannot_reach_the_parent(open_viewer, world):
    """Widget frames run in an opaque origin (no allow-same-origin): a script inside cannot touch the
    report page or the viewer's cookies, yet the widget reads its own data (a signed query)."""
    page = open_viewer.request("GET", f"/reports/{world['report']}").text
    sandboxes = re.findall(r'<iframe[^>]*sandbox="([^"]*)"', page)
    assert sandboxes and all("allow-same-origin" not in s.split() and "allow-scripts" in s.split()
                             for s in sandboxes), sandboxes
    # the widget page hands its own (signed) data URL to widget.js; an opaque origin may read that URL only
    wpage = open_viewer.request("GET", f"/widgets/?type=scalar&objects={world['task']}&metrics=loss")
    m = re.search(r'data-sig="([^"]+)"', wpage.text)
    assert m, wpage.text[:500]
    data = f"/widgets/data?type=scalar&objects={world['task']}&metrics=loss&sig={m.group(1)}"
    ok = open_viewer.request("GET", data, headers={"Origin": "null"})
    assert ok.status == 200 and ok.headers.get("access-control-allow-origin") == "null"
    forged = open_viewer.request("GET", data.replace("metrics=loss", "metrics=acc"), headers={"Origin": "null"})
    assert "access-control-allow-origin" not in forged.headers
    unsigned = open_viewer.request("GET", "/widgets/data?type=scalar&project=vision", headers={"Origin": "null"})
    assert "access-control-allow-origin" not in unsigned.headers


def test_plotly_cloud_links_are_off_in_every_chart():
    """Every Plotly draw call passes the one shared config, which turns off the cloud/share links."""
    static = Path(__import__("ringlog.viewer", fromlist=["x"]).__file__).parent / "static"
    sources = {p.name: p.read_text() for p in static.glob("*.js") if p.name != "plotly.min.js"}
    config_src = "".join(s for s in sources.values() if "PLOTLY_CONFIG" in s and "export const PLOTLY_CONFIG" in s)
    assert re.search(r"showLink:\s*false", config_src) and re.search(r"showSendToCloud:\s*false", config_src) \
        and re.search(r"displaylogo:\s*false", config_src), "one shared PLOTLY_CONFIG with the links off"
    calls = [(name, m.group(0)) for name, src in sources.items()
             for m in re.finditer(r"Plotly\.(?:newPlot|react|plot)\((?:[^()]|\([^()]*\))*\)", src)]
    assert calls
    assert all("PLOTLY_CONFIG" in call or "plotlyConfig(" in call for _, call in calls), calls


# ------------------------------------------------------------------------------- 6. the token flow
def test_token_is_required_when_set(token_viewer, world):
    for path in ["/", "/api/projects", f"/api/tasks/{world['task']}", f"/media/{world['task']}/0", "/widgets/data"]:
        a = token_viewer.request("GET", path)
        assert a.status == 401, (path, a.status)
        assert "www-authenticate" in a.headers and TOKEN not in a.text
    for hdrs in ({"Authorization": "Bearer wrong"}, {"X-Ringlog-Token": TOKEN[:-1]}, {"Authorization": TOKEN},
                 {"Cookie": "ringlog_token=" + TOKEN}):
        assert token_viewer.request("GET", "/api/projects", headers=hdrs).status == 401, hdrs
    for hdrs in ({"Authorization": f"Bearer {TOKEN}"}, {"X-Ringlog-Token": TOKEN}):
        assert token_viewer.request("GET", "/api/projects", headers=hdrs).status == 200, hdrs
    # the package's own static files carry no data: served without a token (sandboxed frames load them)
    assert token_viewer.request("GET", "/static/ringlog.css").status == 200


def test_url_token_sets_a_strict_httponly_cookie_and_redirects(token_viewer):
    a = token_viewer.request("GET", f"/tasks?project=vision&token={TOKEN}")
    assert a.status in (302, 303) and a.headers["location"] == "/tasks?project=vision"
    assert TOKEN not in a.headers["location"]
    [cookie] = a.set_cookies
    attrs = [p.strip().lower() for p in cookie.split(";")]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs
    pair = cookie.split(";")[0]
    assert token_viewer.request("GET", "/api/projects", headers={"Cookie": pair}).status == 200
    # a wrong URL token sets nothing
    bad = token_viewer.request("GET", "/?token=nope")
    assert bad.status == 401 and not bad.set_cookies


def test_token_does_not_bypass_host_or_origin_checks(token_viewer):
    auth = {"X-Ringlog-Token": TOKEN}
    assert token_viewer.request("GET", "/api/projects", host=f"{EVIL}:1", headers=auth).status == 421
    cookie = token_viewer.request("GET", f"/?token={TOKEN}").set_cookies[0].split(";")[0]
    a = token_viewer.request("POST", "/api/reports", headers={"Cookie": cookie, "Origin": "http://evil.example"},
                             body={"name": "pwned", "project": "p"})
    assert a.status == 403
    # a token in a header is not something a page can send cross-site: a script may write with it
    a = token_viewer.request("POST", "/api/reports/preview", headers=auth, body={"markdown": "x"})
    assert a.status == 200


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium is not installed (/usr/bin/chromium)")
def test_pdf_export_under_token_auth_draws_the_widgets(token_viewer, world):
    """Chromium, started by the export, logs in with the viewer's token and draws the report's
    sandboxed widget (its data read through the signed query) into the PDF."""
    from io import BytesIO

    from pypdf import PdfReader

    a = token_viewer.request("GET", f"/api/reports/{world['report']}/pdf", headers={"X-Ringlog-Token": TOKEN},
                             timeout=120)
    assert a.status == 200 and a.body.startswith(b"%PDF"), a.text[:300]
    text = "\n".join(p.extract_text() or "" for p in PdfReader(BytesIO(a.body)).pages)
    # the widget's header names the task and its chart the series once the data came: not "Loading…"
    assert "Results" in text and "resnet" in text and "loss" in text and "Loading" not in text, text


def test_non_loopback_bind_requires_a_token():
    from ringlog.viewer.guard import is_loopback, resolve_token

    gen = lambda: "generated"  # noqa: E731
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        assert is_loopback(host) and resolve_token(host, generate=gen) is None, host
    for host in ("0.0.0.0", "::", "", "192.168.1.5", "10.0.0.1", "example.org", "fe80::1"):
        assert not is_loopback(host) and resolve_token(host, generate=gen) == "generated", host
    assert resolve_token("0.0.0.0", token="given", generate=gen) == "given"
    assert resolve_token("127.0.0.1", token="given", generate=gen) == "given"  # a given token is always required
    assert resolve_token("0.0.0.0", no_auth=True, generate=gen) is None
    with pytest.raises(ValueError, match="contradict"):
        resolve_token("0.0.0.0", token="t", no_auth=True)
    with pytest.raises(ValueError, match="empty"):
        resolve_token("0.0.0.0", token=" ")


def test_ringlog_view_off_loopback_prints_a_token_url(monkeypatch, tmp_path, capsys):
    """``ringlog view --host 0.0.0.0`` (waitress replaced: nothing binds) generates a token, requires it
    and prints a login URL; ``RINGLOG_TOKEN`` is used when set; ``--no-auth`` says what it does."""
    import waitress

    from ringlog import cli

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.delenv("RINGLOG_TOKEN", raising=False)
    assert cli.main(["view", "--root", str(tmp_path), "--host", "0.0.0.0", "--port", "8123"]) == 0
    app, kw = calls[-1]
    token = app.config["RINGLOG_TOKEN"]
    assert kw["host"] == "0.0.0.0" and token and len(token) >= 24
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:8123/?token={token}" in out
    client = app.test_client()
    assert client.get("/api/projects").status_code == 401
    assert client.get("/api/projects", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    assert cli.main(["view", "--root", str(tmp_path), "--host", "127.0.0.2"]) == 0  # loopback: no token
    app = calls[-1][0]
    assert app.config["RINGLOG_TOKEN"] is None and app.config["RINGLOG_ALLOWED_HOSTS"] == ("127.0.0.2",)
    assert app.test_client().get("/api/projects", headers={"Host": "127.0.0.2:8765"}).status_code == 200
    capsys.readouterr()

    monkeypatch.setenv("RINGLOG_TOKEN", "from-env")
    assert cli.main(["view", "--root", str(tmp_path), "--host", "0.0.0.0", "--allow-host", "box.lan"]) == 0
    app = calls[-1][0]
    assert app.config["RINGLOG_TOKEN"] == "from-env" and "box.lan" in app.config["RINGLOG_ALLOWED_HOSTS"]
    capsys.readouterr()

    monkeypatch.delenv("RINGLOG_TOKEN")
    assert cli.main(["view", "--root", str(tmp_path), "--host", "0.0.0.0", "--no-auth"]) == 0
    assert calls[-1][0].config["RINGLOG_TOKEN"] is None
    assert "WITHOUT authentication" in capsys.readouterr().out
    assert cli.main(["view", "--root", str(tmp_path), "--no-auth", "--token", "x"]) == 2
    assert "contradict" in capsys.readouterr().err


def test_security_doc_states_the_promises():
    doc = (Path(__import__("ringlog.viewer", fromlist=["x"]).__file__).parent / "SECURITY.md").read_text()
    for word in ("DNS rebinding", "421", "403", "401", "--allow-host", "--token", "RINGLOG_TOKEN", "--no-auth",
                 "SameSite=Strict", "not promised"):
        assert word in doc, word
