"""The reports JSON API and pages, through Flask's test client: every action and its rules."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image


def create(client, **kw):
    body = {"name": "Findings", "project": "vision", "markdown": "# Findings\n\ntext", "description": "resnet sweep",
            "tags": ["best"], **kw}
    resp = client.post("/api/reports", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_create_get_and_page(client):
    doc = create(client)
    assert doc["version"] == 1 and doc["status"] == "draft" and doc["url"] == f"/reports/{doc['id']}"
    assert "<h1>Findings</h1>" in doc["html"]
    got = client.get(f"/api/reports/{doc['id']}").get_json()
    assert got["markdown"] == "# Findings\n\ntext"
    page = client.get(f"/reports/{doc['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>Findings</h1>" in text and "resnet sweep" in text and "best" in text and "draft" in text


def test_create_rejects_bad_input_with_a_clear_message(client):
    resp = client.post("/api/reports", json={"name": "", "project": "p"})
    assert resp.status_code == 400
    assert "name must not be empty" in resp.get_json()["error"]["message"]
    resp = client.post("/api/reports", data="not json", content_type="text/plain")
    assert resp.status_code == 400 and "JSON object" in resp.get_json()["error"]["message"]


def test_edit_with_version_check_returns_409_on_stale_version(client):
    doc = create(client)
    url = f"/api/reports/{doc['id']}"
    ok = client.patch(url, json={"markdown": "# A", "version": 1})
    assert ok.status_code == 200 and ok.get_json()["version"] == 2
    stale = client.patch(url, json={"markdown": "# B", "version": 1})
    assert stale.status_code == 409
    err = stale.get_json()["error"]
    assert err["kind"] == "version_conflict" and err["current_version"] == 2
    assert "changed elsewhere" in err["message"] and "reload" in err["message"]
    assert client.get(url).get_json()["markdown"] == "# A"


def test_publish_locks_edits_with_a_clear_message(client):
    doc = create(client)
    url = f"/api/reports/{doc['id']}"
    assert client.post(url + "/publish", json={"version": 1}).get_json()["status"] == "published"
    resp = client.patch(url, json={"markdown": "changed"})
    assert resp.status_code == 423
    assert "published and locked" in resp.get_json()["error"]["message"]
    assert client.post(url + "/rename", json={"name": "x"}).status_code == 423
    page = client.get(f"/reports/{doc['id']}").get_data(as_text=True)
    assert "Published · locked" in page and f"/reports/{doc['id']}/edit" not in page


def test_rename_tags_move_share_copy(client):
    doc = create(client)
    url = f"/api/reports/{doc['id']}"
    assert client.post(url + "/rename", json={"name": "Renamed"}).get_json()["name"] == "Renamed"
    assert client.post(url + "/tags", json={"add": ["x", "y"]}).get_json()["tags"] == ["best", "x", "y"]
    assert client.post(url + "/tags", json={"remove": ["best"]}).get_json()["tags"] == ["x", "y"]
    assert client.post(url + "/move", json={"project": "new project"}).get_json()["project"] == "new project"
    listing = client.get("/api/reports").get_json()
    assert [p["project"] for p in listing["projects"]] == ["new project"]
    share = client.get(url + "/share").get_json()["url"]
    assert share == f"http://localhost/reports/{doc['id']}"
    md = client.get(url + "/markdown")
    assert md.mimetype == "text/markdown" and md.get_data(as_text=True) == "# Findings\n\ntext"
    dl = client.get(url + "/markdown?download=1")
    assert dl.headers["Content-Disposition"] == "attachment; filename=\"Renamed.md\"; filename*=UTF-8''Renamed.md"
    client.post(url + "/rename", json={"name": "实验 report"})
    cd = client.get(url + "/markdown?download=1").headers["Content-Disposition"]
    assert cd == "attachment; filename=\"__ report.md\"; filename*=UTF-8''%E5%AE%9E%E9%AA%8C%20report.md"


def test_archive_before_delete(client):
    doc = create(client)
    url = f"/api/reports/{doc['id']}"
    resp = client.delete(url)
    assert resp.status_code == 403 and "must be archived" in resp.get_json()["error"]["message"]
    assert client.post(url + "/archive").get_json()["archived"] is True
    assert client.get("/api/reports").get_json()["reports"] == []
    assert [r["id"] for r in client.get("/api/reports?archived=1").get_json()["reports"]] == [doc["id"]]
    assert client.post(url + "/unarchive").get_json()["archived"] is False
    client.post(url + "/archive")
    assert client.delete(url).get_json() == {"deleted": doc["id"]}
    assert client.get(url).status_code == 404
    assert client.get(f"/reports/{doc['id']}").status_code == 404


def test_list_search_filters_and_views(client):
    a = create(client, name="Alpha", project="p1", description="about augmentation", tags=["t1"])
    create(client, name="Beta", project="p2", description="", tags=["t2"])
    names = lambda q: [r["name"] for r in client.get("/api/reports" + q).get_json()["reports"]]  # noqa: E731
    assert names("?q=augment") == ["Alpha"]
    assert names("?q=BETA") == ["Beta"]
    assert names("?tag=t2") == ["Beta"]
    assert names("?project=p1") == ["Alpha"]
    project_view = client.get("/reports").get_data(as_text=True)
    assert "rl-project-card" in project_view and "p1" in project_view and "p2" in project_view
    list_view = client.get("/reports?view=list&q=augment").get_data(as_text=True)
    assert "Alpha" in list_view and "Beta" not in list_view and "about augmentation" in list_view
    assert a["user"] in list_view


def test_editor_page_and_live_preview(client):
    doc = create(client)
    page = client.get(f"/reports/{doc['id']}/edit").get_data(as_text=True)
    assert 'id="rl-source"' in page and 'id="rl-preview"' in page and 'data-version="1"' in page
    assert "reports-editor.js" in page and "<script>" not in page  # CSP: no inline script
    out = client.post("/api/reports/preview", json={"markdown": "~~x~~ <script>alert(1)</script>"}).get_json()
    assert out["html"].strip() == "<p><s>x</s> </p>" or "<script" not in out["html"]
    assert "<s>x</s>" in out["html"]


def test_rendered_report_is_sanitized(client):
    doc = create(client, markdown="# T\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[a](javascript:alert(3))")
    page = client.get(f"/reports/{doc['id']}").get_data(as_text=True)
    body = page.split('id="rl-report-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and "onerror" not in body and 'href="javascript' not in body
    assert '<img src="x">' in body


def test_image_upload_validated_and_served(client):
    doc = create(client)
    buf = io.BytesIO()
    Image.new("RGB", (3, 3), "blue").save(buf, format="PNG")
    resp = client.post(f"/api/reports/{doc['id']}/assets", data={"file": (io.BytesIO(buf.getvalue()), "chart.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201
    out = resp.get_json()
    assert re.fullmatch(r"!\[chart\]\(/api/reports/[0-9a-f]{32}/assets/[0-9a-f]{32}\.png\)", out["markdown"])
    with client.get(out["url"]) as img:
        assert img.status_code == 200 and img.data == buf.getvalue() and img.mimetype == "image/png"
    bad = client.post(f"/api/reports/{doc['id']}/assets", data={"file": (io.BytesIO(b"<html>"), "x.png")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "valid PNG" in bad.get_json()["error"]["message"]
    assert client.get(f"/api/reports/{doc['id']}/assets/..%2Freport.json").status_code == 404
    huge = client.post(f"/api/reports/{doc['id']}/assets", data=b"x" * 100, content_type="multipart/form-data; boundary=x",
                       environ_overrides={"CONTENT_LENGTH": str(50 << 20)})
    assert huge.status_code == 413 and "at most" in huge.get_json()["error"]["message"]


def test_cross_site_writes_are_refused(client):
    resp = client.post("/api/reports", json={"name": "n", "project": "p"}, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403 and "cross-site" in resp.get_json()["error"]["message"]
    resp = client.post("/api/reports", json={"name": "n", "project": "p"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403
    ok = client.post("/api/reports", json={"name": "n", "project": "p"}, headers={"Origin": "http://localhost"})
    assert ok.status_code == 201


@pytest.mark.parametrize("path", ["/api/reports/nothex", "/api/reports/" + "0" * 32])
def test_unknown_report_is_404(client, path):
    resp = client.get(path)
    assert resp.status_code == 404 and resp.get_json()["error"]["kind"] == "not_found"


def test_reports_page_has_its_toolbar_in_both_views(client):
    create(client)
    for url in ("/reports", "/reports?view=list", "/reports?view=list&project=vision"):
        html = client.get(url).get_data(as_text=True)
        assert 'id="rl-new"' in html and "Project view" in html and "List view" in html and "Archive" in html
