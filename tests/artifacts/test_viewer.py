"""The viewer's artifacts: the task's Artifacts tab API, the artifact page, downloads (attachment,
confined to the blob store), previews, the models page, report widgets with objectType=model, and
the tab and page in a real browser."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import ringlog as wandb
from ringlog import Task
from ringlog.clearml.models import OutputModel

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("viewer-artifacts") / "store"
    src = root.parent / "src"
    src.mkdir()
    t = Task.init(project_name="vis", task_name="producer", dir=str(root), auto_connect_frameworks=False,
                  auto_resource_monitoring=False, auto_connect_streams=False)
    t.upload_artifact("frame", pd.DataFrame({"legs": [2, 4], "name": ["falcon", EVIL]}),
                      metadata={"note": "<b>bold</b>"})
    t.upload_artifact(EVIL, {"k": EVIL})
    png = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(png, format="PNG")
    (src / "real.png").write_bytes(png.getvalue())
    (src / "fake.png").write_text("<html><script>alert(1)</script></html>")
    (src / "notes.txt").write_text("hello <i>notes</i>\n")
    t.upload_artifact("pictures", str(src))
    (src / "w.pt").write_bytes(b"weights" * 100)
    om = OutputModel(task=t, framework="PyTorch")
    om.update_weights(str(src / "w.pt"))
    t.get_logger().report_scalar("loss", "train", 0.5, 0)
    producer, model_id = t.id, om.id
    t.close()
    run = wandb.init(project="vis", name="consumer", dir=str(root), capture=False)
    art = wandb.Artifact("tbl", type="eval")
    art.add(wandb.Table(columns=["a", "b"], data=[[1, EVIL]]), "scores")
    run.log_artifact(art, aliases=["best"])
    run.finish()
    user = Task.init(project_name="vis", task_name="user", dir=str(root), auto_connect_frameworks=False,
                     auto_resource_monitoring=False, auto_connect_streams=False)
    from ringlog.clearml.models import InputModel

    InputModel(model_id=model_id, dir=str(root)).connect(user)
    consumer = user.id
    user.close()
    return {"root": root, "producer": producer, "consumer": consumer, "model_id": model_id, "run": run.id}


@pytest.fixture(scope="module")
def client(world):
    from ringlog.viewer import create_app

    app = create_app(world["root"])
    app.testing = True
    return app.test_client()


def _art(client, task_id, name, key="artifacts"):
    data = client.get(f"/api/tasks/{task_id}/artifacts").get_json()
    return next(a for a in data[key] if a["name"] == name)


def test_task_artifacts_api(client, world):
    data = client.get(f"/api/tasks/{world['producer']}/artifacts").get_json()
    assert sorted(a["name"] for a in data["artifacts"]) == sorted(["frame", EVIL, "pictures"])
    frame = _art(client, world["producer"], "frame")
    assert frame["metadata"] == {"note": "<b>bold</b>"} and "falcon" in frame["preview"]
    assert [(m["name"], m["type"]) for m in data["produced"]] == [("producer", "model")]
    used = client.get(f"/api/tasks/{world['consumer']}/artifacts").get_json()["used"]
    assert [(m["name"], m["version"], m["producer"]) for m in used] == [("producer", "v0", world["producer"])]
    assert client.get("/api/tasks/" + "f" * 32 + "/artifacts").status_code == 404


def test_artifact_page_escapes_and_shows_lineage(client, world):
    model = _art(client, world["producer"], "producer", "produced")
    html = client.get("/artifact", query_string={"scope": model["scope"], "name": "producer"}).get_data(as_text=True)
    assert f'href="/tasks/{world["producer"]}"' in html and f'href="/tasks/{world["consumer"]}"' in html
    evil = _art(client, world["producer"], EVIL)
    resp = client.get("/artifact", query_string={"scope": evil["scope"], "name": EVIL})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert client.get("/artifact", query_string={"scope": evil["scope"], "name": "nope"}).status_code == 404
    assert client.get("/artifact", query_string={"scope": "../../etc", "name": "x"}).status_code == 400
    assert client.get("/artifact", query_string={"name": "x"}).status_code == 400


def _file(client, query_string):
    """GET a file route and close the response (send_file keeps the blob open until then)."""
    resp = client.get("/artifact/file", query_string=query_string)
    resp.get_data()
    resp.close()
    return resp


def test_downloads_are_attachments_confined_to_the_blob_store(client, world):
    pics = _art(client, world["producer"], "pictures")
    q = {"scope": pics["scope"], "name": "pictures", "version": "v0"}
    resp = _file(client, query_string=q | {"path": "notes.txt"})
    assert resp.status_code == 200 and resp.data == b"hello <i>notes</i>\n"
    assert resp.headers["Content-Disposition"].startswith("attachment") and "notes.txt" in resp.headers["Content-Disposition"]
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in resp.headers["Content-Security-Policy"]
    real = _file(client, query_string=q | {"path": "real.png", "inline": "1"})
    assert real.headers["Content-Type"] == "image/png" and real.headers["Content-Disposition"].startswith("inline")
    fake = _file(client, query_string=q | {"path": "fake.png", "inline": "1"})
    assert fake.headers["Content-Type"] == "application/octet-stream"  # not an image by its bytes
    assert fake.headers["Content-Disposition"].startswith("attachment")
    for path in ("../../../etc/passwd", "/etc/passwd", "..", "real.png/../notes.txt"):
        assert _file(client, query_string=q | {"path": path}).status_code == 404, path
    assert _file(client, query_string=q | {"path": "notes.txt", "version": "v9"}).status_code == 404
    assert _file(client, query_string=q | {"path": "notes.txt", "scope": "t-../../x"}).status_code == 400


def test_previews(client, world):
    frame = _art(client, world["producer"], "frame")
    [f] = frame["files"]
    p = client.get("/api/artifact/preview", query_string={"scope": frame["scope"], "name": "frame", "version": "v0",
                                                           "path": f["path"]}).get_json()
    assert p["kind"] == "table" and p["columns"] == ["", "legs", "name"] and p["rows"][1] == ["1", "4", EVIL]
    pics = _art(client, world["producer"], "pictures")
    q = {"scope": pics["scope"], "name": "pictures", "version": "v0"}
    assert client.get("/api/artifact/preview", query_string=q | {"path": "notes.txt"}).get_json() \
        == {"kind": "text", "text": "hello <i>notes</i>\n"}
    assert client.get("/api/artifact/preview", query_string=q | {"path": "real.png"}).get_json() == {"kind": "image"}
    tbl = _art(client, world["run"], "tbl", "produced")
    t = client.get("/api/artifact/preview", query_string={"scope": tbl["scope"], "name": "tbl", "version": "v0",
                                                           "path": "scores.table.json"}).get_json()
    assert t == {"kind": "table", "columns": ["a", "b"], "rows": [["1", EVIL]], "total": 1}


def test_models_listed_per_project(client, world):
    data = client.get("/api/models", query_string={"project": "vis"}).get_json()
    [m] = data["models"]
    assert (m["name"], m["producer"], m["consumers"], m["model_id"]) == \
        ("producer", world["producer"], [world["consumer"]], world["model_id"])
    assert client.get("/api/models", query_string={"project": "other"}).get_json()["models"] == []
    html = client.get("/models?project=vis").get_data(as_text=True)
    assert world["producer"] in html and world["consumer"] in html and "/artifact?scope=" in html


def test_widget_object_type_model_draws_the_producing_task(client, world):
    data = client.get("/widgets/data", query_string={"type": "scalar", "objectType": "model",
                                                     "objects": world["model_id"]}).get_json()
    assert [t["id"] for t in data["tasks"]] == [world["producer"]]
    assert "loss" in str(data)
    dyn = client.get("/widgets/data", query_string={"type": "scalar", "objectType": "model", "project": "vis"})
    assert [t["id"] for t in dyn.get_json()["tasks"]] == [world["producer"]]
    assert client.get("/widgets/?type=scalar&objectType=model&objects=" + world["model_id"]).status_code == 200


def _browser():
    key = "ringlog_viewer_tests_browser"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).parents[1] / "viewer" / "browser.py")
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]


@pytest.mark.browser
@pytest.mark.slow
def test_artifacts_tab_and_artifact_page_in_a_browser(world):
    br = _browser()
    reason = br.chromium_or_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from ringlog.viewer import create_app
    from ringlog.viewer.serve import BackgroundServer

    errors: list = []
    with BackgroundServer(create_app(world["root"])) as srv, sync_playwright() as p:
        browser = br.launch(p)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("dialog", lambda d: errors.append("dialog opened: " + d.message))
            page.goto(f"{srv.url}/tasks/{world['producer']}")
            page.click('nav.tabs button[data-tab="artifacts"]')
            page.wait_for_selector("#artifacts article.artifact-card")
            names = page.locator("#artifacts .artifact-link").all_inner_texts()
            assert sorted(names) == sorted(["frame", EVIL, "pictures", "producer"])  # shown as text
            card = page.locator('#artifacts article[data-name="frame"]')
            card.locator(".preview-btn").first.click()
            card.locator("table.artifact-table").wait_for()
            assert EVIL in card.locator("table.artifact-table").inner_text()
            pics = page.locator('#artifacts article[data-name="pictures"]')
            pics.locator("tr", has_text="real.png").locator(".preview-btn").click()
            pics.locator("img.artifact-image").wait_for()
            page.wait_for_function("() => document.querySelector('img.artifact-image').naturalWidth === 8")
            with page.expect_download() as dl:
                pics.locator("tr", has_text="notes.txt").locator("a.download").click()
            assert Path(dl.value.path()).read_bytes() == b"hello <i>notes</i>\n"
            page.locator('#artifacts article[data-name="producer"] a.artifact-link').click()
            page.wait_for_selector("#artifact-versions")
            assert page.locator("#artifact-versions a.producer").inner_text() == world["producer"]
            assert page.locator("#artifact-versions a.consumer").inner_text() == world["consumer"]
            page.locator("section#v0 .preview-btn").click()
            page.locator("section#v0 .artifact-preview pre").wait_for()  # w.pt is text-like bytes
            assert page.locator("section#v0 .artifact-preview pre").inner_text().startswith("weights")
        finally:
            browser.close()
    assert not errors, errors
