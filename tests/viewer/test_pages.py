"""HTML pages: they render, escape everything from the store, carry the security headers,
and serve plotly.js from the installed package (no CDN)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringlog.store.testing import add_task

A = "a" * 32


@pytest.mark.parametrize("url", ["/", "/tasks", "/projects/vision", f"/tasks/{A}", f"/compare?ids={A},{'b' * 32}"])
def test_pages_render_with_security_headers(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.data[:300]
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert ("unsafe-eval" in csp) == url.startswith("/compare")   # parcoords' WebGL needs it there only
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    html = r.get_data(as_text=True)
    assert "cdn" not in html.lower() and "https://" not in html
    # no inline executable script: only src= scripts and the JSON data block
    for chunk in html.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head


def test_task_name_with_markup_is_escaped_everywhere(client, store):
    add_task(store, "vision", "<script>alert(1)</script>", task_id="d" * 32,
             config={"<img src=x onerror=alert(1)>": "</script><script>alert(2)</script>"},
             env={"git": {"diff": "<script>alert(3)</script>"}, "command": "<b>run</b>"})
    html = client.get("/tasks/" + "d" * 32).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>run</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in html or "\\u003c/script\\u003e" in html
    assert "&lt;script&gt;alert(3)" in html and "&lt;b&gt;run&lt;/b&gt;" in html
    listing = client.get("/compare?ids=" + "d" * 32).get_data(as_text=True)
    assert "<script>alert" not in listing


def test_task_page_shows_info_config_and_tabs(client):
    html = client.get(f"/tasks/{A}").get_data(as_text=True)
    for tab in ("Scalars", "Plots", "Debug samples", "Console", "Configuration", "Info", "Summary"):
        assert f">{tab}</button>" in html
    assert "train.py --lr 0.1 --name &#39;a b&#39;" in html and "box1" in html and "numpy==2.0.0" in html
    assert "optim.momentum" in html and "abc123" in html


def test_plotly_js_comes_from_the_installed_package(client):
    import plotly

    with client.get("/static/plotly.min.js") as r:
        assert r.status_code == 200 and r.mimetype == "text/javascript"
        assert r.data == (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()


@pytest.mark.parametrize("name", ["common.js", "chart.js", "task.js", "table.js", "compare.js",
                                  "samples.js", "projects.js", "ringlog.css"])
def test_own_static_assets_are_served(client, name):
    with client.get(f"/static/{name}") as r:
        assert r.status_code == 200 and len(r.data) > 200


def test_unknown_page_and_task_are_escaped_404_pages(client):
    r = client.get("/tasks/<script>")
    assert r.status_code == 404 and "<script>" not in r.get_data(as_text=True).split("</header>")[1]
    r = client.get("/compare")
    assert r.status_code == 400 and "'ids'" in r.get_data(as_text=True).replace("&#39;", "'")


def test_create_app_needs_a_root_or_a_store():
    from ringlog.viewer import create_app

    with pytest.raises(TypeError, match="root"):
        create_app(None)
