"""W&B media in a real browser: an image's masks and boxes drawn over it (colours per class, a class
toggle, a score minimum), media inside a Table shown in the table (thumbnails, players, captions),
``Object3D`` drawn as a WebGL scatter and ``Molecule`` as plain text. The task is written by the
real SDK (``import ringlog as wandb``), then served by a real viewer to Debian chromium. First, the
JSON and the mask route those drawings read, including what a forged media index holds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import ringlog as wandb
from ringlog._engine import context, lifecycle
from ringlog.store import Store

HERE = Path(__file__).parent
W, H = 60, 40
CLASS_LABELS = {1: "car", 3: "<b>building</b>"}
PDB = "HEADER    <script>alert(1)</script>\nATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\nEND\n"


@pytest.fixture(scope="module")
def client(task_id):
    from ringlog.viewer import create_app

    root, _ = task_id
    store = Store(root)
    return create_app(store.root, config={"RINGLOG_STORE": store, "TESTING": True}).test_client()


def test_the_listing_carries_the_overlays_and_the_mask_is_served_as_its_png(client, task_id):
    _, tid = task_id
    groups = {g["title"]: g for g in client.get(f"/api/tasks/{tid}/media").get_json()["groups"]}
    item = groups["scene"]["items"][-1]
    # the listing names the overlays (a stub), the page fetches them when it shows the image
    stub = item["overlays"]
    assert stub == {"detail": f"/media/{tid}/{item['id']}/overlays", "masks": 1, "boxes": 2}
    r = client.get(stub["detail"])
    assert r.status_code == 200 and r.headers["Content-Security-Policy"].startswith("sandbox")
    ov = r.get_json()
    (mask,) = ov["masks"]
    assert mask["name"] == "segmentation" and mask["labels"] == [
        [0, "background"], [1, "road"], [2, "<img src=x>"], [999, "unused"]]
    (boxes,) = ov["boxes"]
    assert boxes["labels"] == [[1, "car"], [3, "<b>building</b>"]]
    # W&B's two position forms arrive as corners; the pixel one stays in pixels, flagged
    assert [(b["x0"], b["x1"], b["y0"], b["y1"], b["pixel"], b["class_id"]) for b in boxes["boxes"]] == [
        (0.1, 0.4, 0.25, 0.5, False, 1), (40.0, 50.0, 26.0, 34.0, True, 3)]
    assert boxes["boxes"][0]["scores"] == [["acc", 0.9], ["loss", 0.1]] and boxes["boxes"][1]["caption"] is None
    assert "iVBORw0KGgo" not in str(ov)  # the mask bytes (base64 PNG) are not inlined in the listing
    r = client.get(mask["url"])
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.headers["Content-Security-Policy"].startswith("sandbox")
    from PIL import Image as PILImage

    ids = np.asarray(PILImage.open(__import__("io").BytesIO(r.data)))
    assert ids.shape == (H, W) and ids[0, 45] == 1 and ids[38, 2] == 2 and ids[0, 0] == 0
    base = mask["url"].rsplit("/", 1)[0]
    for bad in ("1.png", "x.png", "0", "00000000.png", "-1.png", "0.png.png"):
        assert client.get(f"{base}/{bad}").status_code == 404, bad
    # the table's media cells are linked to their samples, overlays included
    (table,) = client.get(f"/api/tasks/{tid}/plots?title=predictions").get_json()["groups"]
    row = table["items"][0]["data"]["data"][0]
    assert [c["kind"] for c in row[1:4]] == ["image", "audio", "video"] and row[4]["overlays"]["boxes"] == 2
    assert row[1]["overlays"] is None
    listing = client.get(f"/api/tasks/{tid}/media").get_json()["groups"]
    plain = next(it for g in listing for it in g["items"] if it["kind"] == "image" and not it["overlays"])
    assert client.get(f"/media/{tid}/{plain['id']}/overlays").status_code == 404
    assert client.get(f"/media/{tid}/99999/overlays").status_code == 404
    assert all(c["url"].startswith(f"/media/{tid}/") for c in row[1:5])


def test_a_forged_index_gives_no_overlay_it_cannot_draw(tmp_path):
    """The index is only as trustworthy as what wrote it: malformed parts are left out, the image stays."""
    from ringlog.store.testing import make_store, write_task
    from ringlog.viewer import create_app

    st = make_store(tmp_path / "store")
    w = write_task(st, "p", "forged", close=False)
    forged = [
        {"masks": {"m": {"png": "bm90IGEgcG5n", "class_labels": {"x": "bad key", "1": 5}}},  # base64 of "not a png"
         "boxes": {"b": {"box_data": [
             {"position": {"minX": float("nan"), "maxX": 1, "minY": 0, "maxY": 1}},
             {"position": {"minX": "0", "maxX": 1, "minY": 0, "maxY": 1}},
             {"position": {"minX": 10**400, "maxX": 1, "minY": 0, "maxY": 1}, "scores": {"s": -10**400}},
             {"position": {"minX": 0.5, "maxX": 0.1, "minY": 0, "maxY": 1}, "class_id": True,
              "scores": {"s": "high", "t": 0.5}, "box_caption": 7},
             "not a box"], "class_labels": ["not", "a", "dict"]},
                   "c": {"box_data": "nope"}},
         "classes": [{"id": 2, "name": "two"}, {"id": "x"}, 3]},
        {"masks": "nope", "boxes": ["nope"]},
        "not a dict",
    ]
    for i, extra in enumerate(forged):
        w.media.add_media("img", "s", i, data=b"\x89PNG\r\n\x1a\n", ext="png", kind="image", extra=extra)
    w.close()
    client = create_app(st.root, config={"RINGLOG_STORE": st, "TESTING": True}).test_client()
    (group,) = client.get(f"/api/tasks/{w.id}/media").get_json()["groups"]
    stubs = [it["overlays"] for it in group["items"]]
    assert stubs[1:] == [None, None] and stubs[0]["masks"] == 1 and stubs[0]["boxes"] == 5
    assert client.get(f"/media/{w.id}/{group['items'][1]['id']}/overlays").status_code == 404
    first = client.get(stubs[0]["detail"]).get_json()
    assert first["masks"][0]["labels"] == [[1, "5"]] and first["classes"] == [[2, "two"]]
    (b,) = first["boxes"][0]["boxes"]  # only the well-formed box, its corners ordered
    assert (b["x0"], b["x1"], b["class_id"], b["scores"], b["caption"]) == (0.1, 0.5, None, [["t", 0.5]], "7")
    assert [g["name"] for g in first["boxes"]] == ["b"]
    assert client.get(first["masks"][0]["url"]).status_code == 404  # not a PNG: never served


def _browser():
    key = "ringlog_viewer_tests_browser"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / "browser.py")
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]


def _scene():
    """A 60x40 grey image; mask: class 1 on the right half, class 2 in the bottom-left corner, 0 elsewhere;
    two boxes (one in fractions, one in pixels, as W&B's docstring example logs them)."""
    img = np.full((H, W, 3), 200, np.uint8)
    mask = np.zeros((H, W), np.uint8)
    mask[:, 30:] = 1
    mask[30:, :10] = 2
    boxes = {"predictions": {"box_data": [
        {"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.25, "maxY": 0.5}, "class_id": 1,
         "box_caption": "<i>car</i>", "scores": {"acc": 0.9, "loss": 0.1}},
        {"position": {"middle": [45, 30], "width": 10, "height": 8}, "domain": "pixel", "class_id": 3,
         "scores": {"acc": 0.2, "loss": 0.7}}],
        "class_labels": CLASS_LABELS}}
    # a label may name a class no 8-bit mask pixel can hold (W&B's validate only checks the key is a number)
    masks = {"segmentation": {"mask_data": mask,
                              "class_labels": {0: "background", 1: "road", 2: "<img src=x>", 999: "unused"}}}
    return wandb.Image(img, masks=masks, boxes=boxes, caption="scene 0")


@pytest.fixture(scope="module")
def task_id(tmp_path_factory):
    root = tmp_path_factory.mktemp("overlays")
    settings = wandb.Settings(flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=30)
    run = wandb.init(project="media", name="overlays", dir=str(root), settings=settings)
    try:
        wandb.log({"scene": _scene()})
        wandb.log({"scene": _scene()})  # a second iteration: the legend's choices hold across the slider
        table = wandb.Table(columns=["id", "image", "sound", "clip", "boxed"])
        for i in range(3):
            table.add_data(i, wandb.Image(np.full((8, 8), 60 * i, np.uint8), caption=f"digit <{i}>"),
                           wandb.Audio(np.sin(np.linspace(0, 200, 800)), sample_rate=8000, caption=f"tone {i}"),
                           wandb.Video(np.zeros((2, 3, 8, 8), np.uint8), fps=2, caption=f"clip {i}"),
                           _scene() if i == 0 else None)
        wandb.log({"predictions": table})
        wandb.log({"cloud": wandb.Object3D(np.random.default_rng(0).random((200, 3)))})
        wandb.log({"protein": wandb.Molecule(_pdb_file(root), caption="alanine")})
    finally:
        wandb.finish()
        for core in lifecycle.open_runs():
            core.finish("aborted")
        context.set_current(None)
    return root, run.id


def _pdb_file(root: Path) -> str:
    path = root / "ala.pdb"
    path.write_text(PDB)
    return str(path)


@pytest.fixture(scope="module")
def served(task_id):
    br = _browser()
    reason = br.chromium_or_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from ringlog.viewer import create_app
    from ringlog.viewer.serve import BackgroundServer

    root, tid = task_id
    store = Store(root)
    app = create_app(store.root, config={"RINGLOG_STORE": store, "TESTING": True})
    with BackgroundServer(app) as srv, sync_playwright() as p:
        browser = br.launch(p)
        try:
            yield srv, browser, tid
        finally:
            browser.close()


@pytest.fixture
def page(served):
    srv, browser, tid = served
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("dialog", lambda d: errors.append("dialog opened: " + d.message))
    yield page, f"{srv.url}/tasks/{tid}", errors
    page.close()
    assert not errors, errors


SCENE = '#media .sample-card[data-title="scene"]'
MASK_PIXEL = """([x, y]) => {
  const c = document.querySelector('%s .overlay-view canvas.overlay-mask');
  return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data);
}""" % SCENE
RECTS = """() => Array.from(document.querySelectorAll('%s svg.overlay-boxes rect')).map(r => {
  const b = r.getBoundingClientRect(), i = document.querySelector('%s .overlay-view img').getBoundingClientRect();
  return {cls: r.dataset.class, x0: (b.left - i.left) / i.width, x1: (b.right - i.left) / i.width,
          y0: (b.top - i.top) / i.height, y1: (b.bottom - i.top) / i.height};
})""" % (SCENE, SCENE)


@pytest.mark.browser
@pytest.mark.slow
def test_masks_and_boxes_are_drawn_over_the_debug_sample_and_toggle(page):
    page, url, _ = page
    page.goto(url + "#media")
    page.wait_for_selector(f"{SCENE} canvas.overlay-mask[data-ready='1']")
    page.wait_for_function(f"() => document.querySelector('{SCENE} .overlay-view img').naturalWidth > 0")
    # the mask is coloured per class, semi-transparent, over the image's whole box
    canvas_box = page.locator(f"{SCENE} canvas.overlay-mask").bounding_box()
    img_box = page.locator(f"{SCENE} .overlay-view img").bounding_box()
    assert canvas_box == pytest.approx(img_box, abs=1) and img_box["width"] >= 4 * W  # a small image is scaled up
    road, corner, background = (page.evaluate(MASK_PIXEL, xy) for xy in ([45, 5], [2, 38], [2, 2]))
    assert road[3] == corner[3] == background[3] > 60 and road[3] < 200  # see-through, not opaque
    assert len({tuple(road[:3]), tuple(corner[:3]), tuple(background[:3])}) == 3  # a colour per class
    # the legend names every class as text: the hostile label is not markup
    legend = page.locator(f"{SCENE} fieldset[data-group='mask:segmentation']")
    assert legend.inner_text().count("<img src=x>") == 1
    assert page.locator(f"{SCENE} .overlay-legend img").count() == 0
    # toggling "road" off clears exactly its pixels
    page.uncheck(f"{SCENE} input[data-group='mask:segmentation'][data-class='1']")
    assert page.evaluate(MASK_PIXEL, [45, 5])[3] == 0 and page.evaluate(MASK_PIXEL, [2, 38]) == corner
    # the whole mask off hides the canvas
    page.uncheck(f"{SCENE} input[data-group='mask:segmentation'][data-role='group']")
    assert not page.locator(f"{SCENE} canvas.overlay-mask").is_visible()

    # boxes: outlines where W&B puts them (fractions, and pixels / image size), labelled with text
    rects = page.evaluate(RECTS)
    assert [r["cls"] for r in rects] == ["1", "3"]
    first, second = rects
    assert (first["x0"], first["x1"], first["y0"], first["y1"]) == pytest.approx((0.1, 0.4, 0.25, 0.5), abs=0.02)
    assert (second["x0"], second["x1"], second["y0"], second["y1"]) == pytest.approx(
        (40 / W, 50 / W, 26 / H, 34 / H), abs=0.02)
    labels = page.locator(f"{SCENE} svg.overlay-boxes text").all_text_contents()
    assert labels == ["<i>car</i> acc 0.90 loss 0.10", "<b>building</b> acc 0.20 loss 0.70"]
    assert page.locator(f"{SCENE} svg.overlay-boxes i, {SCENE} svg.overlay-boxes b").count() == 0
    # a class off hides its boxes
    page.uncheck(f"{SCENE} input[data-group='boxes:predictions'][data-class='3']")
    assert [r["cls"] for r in page.evaluate(RECTS)] == ["1"]
    page.check(f"{SCENE} input[data-group='boxes:predictions'][data-class='3']")
    # a minimum score hides the boxes under it
    page.locator(f"{SCENE} input[data-group='boxes:predictions'][data-score='acc']").fill("0.5")
    assert [r["cls"] for r in page.evaluate(RECTS)] == ["1"]
    page.locator(f"{SCENE} input[data-group='boxes:predictions'][data-score='acc']").fill("0.2")
    page.locator(f"{SCENE} input[data-group='boxes:predictions'][data-score='loss']").fill("0.5")
    assert [r["cls"] for r in page.evaluate(RECTS)] == ["3"]
    assert page.locator(f"{SCENE} .caption").first.inner_text() == "scene 0"
    # the choices belong to the card: the other iteration shows with them
    page.locator(f"{SCENE} .slider input").fill("0")
    page.wait_for_function(f"() => document.querySelector('{SCENE} .slider .iter').textContent === 'iteration 0'")
    page.wait_for_selector(f"{SCENE} canvas.overlay-mask[data-ready='1']", state="attached")
    assert not page.locator(f"{SCENE} canvas.overlay-mask").is_visible()
    page.check(f"{SCENE} input[data-group='mask:segmentation'][data-role='group']")
    assert page.evaluate(MASK_PIXEL, [45, 5])[3] == 0 and page.evaluate(MASK_PIXEL, [2, 38]) == corner
    assert not page.locator(f"{SCENE} input[data-group='mask:segmentation'][data-class='1']").is_checked()
    assert [r["cls"] for r in page.evaluate(RECTS)] == ["3"]  # loss >= 0.5 still applies


@pytest.mark.browser
@pytest.mark.slow
def test_a_table_of_media_shows_thumbnails_players_and_captions(page):
    page, url, _ = page
    page.goto(url + "#plots")
    card = page.locator("#plots .sample-card[data-title='predictions']")
    card.locator("td.media-cell img").first.wait_for()
    page.wait_for_function("""() => Array.from(document.querySelectorAll(
        "#plots .sample-card[data-title='predictions'] td.media-cell img")).every(i => i.complete && i.naturalWidth > 0)""")
    rows = card.locator("tbody tr")
    assert rows.count() == 3
    # images: thumbnails of the stored samples, captions as text
    thumbs = card.locator("tbody tr td:nth-child(2) img")
    assert thumbs.count() == 3 and all(w <= 160 for w in thumbs.evaluate_all("l => l.map(i => i.width)"))
    assert card.locator("tbody tr td:nth-child(2) figcaption").all_inner_texts() == [
        "digit <0>", "digit <1>", "digit <2>"]
    # audio: players that load their file; video (W&B's default GIF): an animated image
    assert card.locator("tbody audio[controls]").count() == 3
    page.wait_for_function("""() => Array.from(document.querySelectorAll(
        "#plots .sample-card[data-title='predictions'] audio")).every(a => a.readyState >= 1 && a.duration > 0.09)""")
    assert card.locator("tbody tr td:nth-child(3) figcaption").all_inner_texts() == ["tone 0", "tone 1", "tone 2"]
    assert card.locator("tbody tr td:nth-child(4) img.video-gif").count() == 3
    # an image with boxes inside a table keeps its overlays (legend folded)
    boxed = card.locator("tbody tr:nth-child(1) td:nth-child(5)")
    assert boxed.locator("svg.overlay-boxes rect").count() == 2
    assert boxed.locator("details.overlay-fold summary").inner_text() == "overlays"
    assert card.locator("tbody tr:nth-child(2) td:nth-child(5)").inner_text() == ""  # None stays empty


@pytest.mark.browser
@pytest.mark.slow
def test_object3d_draws_a_webgl_scatter_and_molecule_shows_as_text(page):
    page, url, errors = page
    page.goto(url + "#plots")
    card = page.locator("#plots .sample-card[data-title='cloud']")
    card.locator(".js-plotly-plot").wait_for()
    page.wait_for_function("""() => {
        const p = document.querySelector("#plots .sample-card[data-title='cloud'] .js-plotly-plot");
        return p && p._fullData && p._fullData[0].type === 'scatter3d' && p._fullLayout.scene._scene;
    }""")
    # drawn into a WebGL canvas (plotly's gl-plot3d), with all 200 points
    assert card.locator(".gl-container canvas").count() >= 1
    assert page.evaluate("""() => document.querySelector(
        "#plots .sample-card[data-title='cloud'] .js-plotly-plot")._fullData[0].x.length""") == 200
    assert not errors, errors
    page.goto(url + "#media")
    frame = page.frame_locator("#media .sample-card[data-title='protein'] iframe.html-sample")
    body = frame.locator("body")
    body.wait_for()
    assert "ATOM      1  N   ALA A   1" in body.inner_text() and "<script>alert(1)</script>" in body.inner_text()


@pytest.mark.browser
@pytest.mark.slow
def test_a_report_widget_of_the_sample_draws_its_overlays(page, task_id):
    """A report embeds the sample in a sandboxed (opaque-origin) widget frame, which may not read the
    mask route: the widget's data carry the mask inline, and the same drawing runs there."""
    page, url, _ = page
    from ringlog.store.reports import ReportStore

    root, tid = task_id
    embed = f'<iframe src="/widgets/?type=sample&objects={tid}&metrics=scene" width="100%" height="700"></iframe>'
    doc = ReportStore(root).create(name="Scenes", project="media", markdown="# Scenes\n\n" + embed + "\n")
    page.goto(url.split("/tasks/")[0] + f"/reports/{doc['id']}")
    frame = page.frame_locator("#rl-report-body iframe")
    frame.locator("canvas.overlay-mask[data-ready='1']").wait_for(timeout=20000)
    assert frame.locator("svg.overlay-boxes rect").count() == 2
    assert frame.locator("svg.overlay-boxes text").first.text_content() == "<i>car</i> acc 0.90 loss 0.10"
    road = frame.locator("canvas.overlay-mask").evaluate("c => Array.from(c.getContext('2d').getImageData(45, 5, 1, 1).data)")
    assert 60 < road[3] < 200
    frame.locator("details.overlay-fold summary").click()
    frame.locator("input[data-group='boxes:predictions'][data-class='1']").uncheck()
    assert frame.locator("svg.overlay-boxes rect").count() == 1
