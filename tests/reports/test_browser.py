"""Real browser and PDF: a report with an embedded scalar widget shows the chart; the PDF holds the heading.

Drives Debian's headless Chromium (/usr/bin/chromium) through Playwright against the viewer served
by a real WSGI server on 127.0.0.1 (a free port), as a user would use it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import threading
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless chromium is not installed (/usr/bin/chromium)")


@pytest.fixture
def scalar_store(store_root):
    """A real store holding one completed task with a loss curve and one hyperparameter."""
    import numpy as np

    from ringlog.store import Store

    st = Store(store_root)
    w = st.create_task(project="vision", name="baseline", task_id="a1b2c3")
    steps = np.arange(200, dtype=np.int64)
    w.append(w.series_id("loss", "train"), steps, 1.0 / (1.0 + steps), 1000.0 + steps.astype(np.float64))
    w.set_meta(config={"General": {"lr": 0.1}})
    w.close(status="completed")
    return st


@pytest.fixture
def live_server(app_factory, scalar_store):
    from werkzeug.serving import make_server

    app = app_factory(scalar_store)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


LOSS_TRAIN = hashlib.md5(b"loss").hexdigest() + "." + hashlib.md5(b"train").hexdigest()


def pdf_text(data: bytes) -> str:
    PdfReader = pytest.importorskip("pypdf", reason="pypdf reads the exported PDF's text").PdfReader
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@needs_chromium
def test_report_with_embedded_scalar_widget_shows_the_chart_and_exports_pdf(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    embed = '<iframe src="/widgets/?type=scalar&objectType=task&objects=a1b2c3&metrics=loss&variants=train&xaxis=iter" width="100%" height="400"></iframe>'
    markdown = "# Loss study\n\nThe loss falls.\n\n" + embed + "\n"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(live_server + "/reports")
            page.click("#rl-new")
            page.fill("#rl-new-form input[name=name]", "Loss study")
            page.fill("#rl-new-form input[name=project]", "vision")
            page.click("#rl-new-form button[type=submit]")
            page.wait_for_url("**/reports/*/edit")
            page.fill("#rl-source", markdown)
            page.wait_for_selector("#rl-preview iframe")  # live preview renders the embed
            page.click("#rl-save")
            page.wait_for_selector("#rl-save-state:has-text('saved · version 2')")
            report_url = page.url.rsplit("/edit", 1)[0]
            page.goto(report_url)
            assert page.locator("#rl-report-body h1").inner_text() == "Loss study"
            frame = page.frame_locator("#rl-report-body iframe")
            trace = frame.locator(".rl-w-chart .scatterlayer .trace")
            trace.first.wait_for(timeout=20000)
            assert trace.count() == 1
            assert "loss" in frame.locator(".rl-w-chart .gtitle").first.text_content()
            assert frame.locator("#rl-w-source").get_attribute("href") == "/tasks/a1b2c3"
            # parcoords is a WebGL trace: it must draw under the widget page's CSP
            page.goto(live_server + "/widgets/?type=parcoords&objects=a1b2c3&metrics=" + LOSS_TRAIN + "&variants=General.lr")
            page.locator(".rl-w-chart .parcoords").first.wait_for(timeout=20000)
            assert "WebGL is not supported" not in page.content()
            assert not errors, errors
        finally:
            browser.close()
    report_id = report_url.rsplit("/", 1)[1]
    with urllib.request.urlopen(f"{live_server}/api/reports/{report_id}/pdf", timeout=120) as resp:
        assert resp.headers["Content-Type"] == "application/pdf"
        body = resp.read()
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    assert "Loss study" in text
    assert "iteration" in text  # the embedded chart's x-axis title: widgets are drawn into the PDF too


@needs_chromium
def test_pdf_without_a_server_prints_the_text(client):
    doc = client.post("/api/reports", json={"name": "Offline", "project": "p",
                                            "markdown": "# Quarterly heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"}).get_json()
    resp = client.get(f"/api/reports/{doc['id']}/pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="Offline.pdf";')
    assert "Quarterly heading" in pdf_text(resp.data)


def test_pdf_without_chromium_is_a_clear_503(app, client):
    app.config["RINGLOG_CHROMIUM"] = "/nonexistent/chromium"
    doc = client.post("/api/reports", json={"name": "n", "project": "p"}).get_json()
    resp = client.get(f"/api/reports/{doc['id']}/pdf")
    assert resp.status_code == 503 and "needs Chromium" in resp.get_json()["error"]["message"]


@needs_chromium
def test_widget_updates_live_while_its_task_runs(app_factory, store_root):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from werkzeug.serving import make_server

    import numpy as np

    from ringlog.store import Store

    st = Store(store_root)
    w = st.create_task(project="p", name="live run", task_id="run1")
    w.set_meta(status="running")
    w.append(w.series_id("acc", "train"), np.array([0, 1]), np.array([0.1, 0.2]), np.array([1.0, 2.0]))
    w.sync()
    server = make_server("127.0.0.1", 0, app_factory(st), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_port}/widgets/?type=scalar&objects=run1&metrics=acc")
                traces = page.locator(".rl-w-chart .scatterlayer .trace")
                traces.first.wait_for(timeout=20000)
                assert traces.count() == 1 and page.locator("#rl-w-live").is_visible()
                w.append(w.series_id("acc", "val"), np.array([0, 1, 2]), np.array([0.1, 0.15, 0.3]),
                         np.array([1.0, 2.0, 3.0]))  # the run logs a new series
                w.sync()
                traces.nth(1).wait_for(timeout=15000)  # the next poll (3 s while running) draws it
                assert traces.count() == 2
                w.close(status="completed")
                page.wait_for_selector("#rl-w-live", state="hidden", timeout=15000)
            finally:
                browser.close()
    finally:
        server.shutdown()
        thread.join(10)


@needs_chromium
def test_card_actions_in_the_browser(live_server, store_root):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from ringlog.store.reports import ReportStore

    rs = ReportStore(store_root)
    doc = rs.create(name="Draft", project="p", markdown="# Draft")
    answers = iter(["Renamed", "alpha, beta", "moved here"])
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: d.accept(next(answers)) if d.type == "prompt" else d.accept())
            page.goto(f"{live_server}/reports/{doc['id']}")

            def act(name):
                page.click("article > header details.rl-menu > summary")
                with page.expect_navigation():
                    page.click(f"article > header [data-action={name}]")

            act("rename")
            assert page.locator(".rl-report-name").inner_text() == "Renamed"
            act("add-tag")
            assert page.locator(".rl-tag").all_inner_texts() == ["alpha ×", "beta ×"]
            act("move")
            act("publish")
            assert page.locator(".rl-lock").is_visible()
            act("archive")
            got = rs.get(doc["id"])
            assert (got["name"], got["tags"], got["project"], got["status"], got["archived"]) == \
                ("Renamed", ["alpha", "beta"], "moved here", "published", True)
            page.click("article > header details.rl-menu > summary")
            with page.expect_navigation():
                page.click("article > header [data-action=delete]")
            assert page.url.endswith("/reports")
            assert not rs.exists(doc["id"])
        finally:
            browser.close()


@needs_chromium
def test_editor_uploads_an_image_and_refuses_a_stale_save(live_server, store_root, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from PIL import Image

    from ringlog.store.reports import ReportStore

    rs = ReportStore(store_root)
    doc = rs.create(name="Pics", project="p", markdown="# Pics\n")
    png = tmp_path / "chart.png"
    Image.new("RGB", (8, 8), "green").save(png)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(f"{live_server}/reports/{doc['id']}/edit")
            page.set_input_files("#rl-image", str(png))
            page.wait_for_selector("#rl-preview img[alt=chart]")
            assert "![chart](/api/reports/" in page.input_value("#rl-source")
            page.click("#rl-save")
            page.wait_for_selector("#rl-save-state:has-text('saved · version 2')")  # an upload keeps the version
            rs.update(doc["id"], markdown="# Changed in another tab\n")  # version 3
            page.fill("#rl-source", "# Mine\n")
            page.click("#rl-save")
            page.wait_for_selector("#rl-editor-error:has-text('changed elsewhere')")
            assert rs.get(doc["id"])["markdown"] == "# Changed in another tab\n"
        finally:
            browser.close()


@needs_chromium
def test_scalar_widget_draws_the_envelope_band_and_nonfinite_markers(app_factory, store_root):
    """A widget draws with the task page's chart code: a long series gets its min/max band and its
    NaN/Inf markers (before issue 12 widgets drew a bare line)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from werkzeug.serving import make_server

    from ringlog.store.testing import add_task, make_store, noisy_series

    st = make_store(store_root)
    add_task(st, "p", "long run", task_id="long1",
             scalars={"loss": noisy_series(20_000, nan_at=(500,), inf_at=(900,), spike_at=7000)})
    server = make_server("127.0.0.1", 0, app_factory(st), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(f"http://127.0.0.1:{server.server_port}/widgets/?type=scalar&objects=long1&metrics=loss")
                page.wait_for_selector(".rl-w-chart .scatterlayer .trace", timeout=20000)
                data = page.evaluate("() => document.querySelector('.rl-w-chart').data.map(t => "
                                     "({fill: t.fill || null, yaxis: t.yaxis || null, n: t.x.length,"
                                     " ymax: Math.max(...t.y.filter(v => v !== null))}))")
                assert any(t["fill"] == "tonexty" and t["ymax"] == 1e6 for t in data), data   # the band
                assert any(t["yaxis"] == "y2" and t["n"] >= 2 for t in data), data             # NaN, +Inf
                assert not errors, errors
            finally:
                browser.close()
    finally:
        server.shutdown()
        thread.join(10)
