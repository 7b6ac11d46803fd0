"""Conformance with ClearML's Reports page (seed: ../shared/seeds/clearml-reports.md).

Every element the page describes, done the way it describes it, against a real viewer app
(``ringlog.viewer.create_app``) over a real store built with ``ringlog.store.testing``, through
Flask's test client: the report's life (create with a description, edit, publish to lock, rename,
share, tag, move, archive, delete only once archived, copy the Markdown, PDF), embed codes and
their query parameters (``/widgets/`` and the ``/widget/`` spelling, ``objectType``, ``objects``,
the five ``type``s, ``xaxis``, ``metrics``/``variants`` URL-encoded or as MD5 ids, ``light``,
``company``), dynamic queries (``project`` by id, ``page_size``/``page``, ``order_by[]`` by update
time or by a metric's MD5 ids, ``tags[]`` with ``__$or`` and ``-tag``) and each entry of the
Markdown quick guide.

Where ClearML's behaviour was checked in its source rather than the page, the comment says where.
The embed endpoint itself is ClearML's web app, which is not in the stored sources: for it the seed
is the reference.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from PIL import Image

from ringlog.store.testing import PNG_BYTES, Plot, add_task, image, make_store
from ringlog.viewer import create_app


def md5(text: str) -> str:
    """What the seed tells users to run to get a metric, variant (and, in ringlog, project) id."""
    return hashlib.md5(str(text).encode("utf-8")).hexdigest()


@pytest.fixture
def world(tmp_path):
    root = tmp_path / "store"
    st = make_store(root)

    def scal(acc):
        return {("training", "accuracy"): ([0, 1, 2], [0.1, acc, acc - 0.05], [1.0, 2.0, 3.0]),
                ("Metric Name", "my variant"): ([0, 1], [3.0, 2.0], [1.0, 2.0]),
                ("Summary", "best_acc"): ([0], [acc], [3.0])}

    add_task(st, "vision", "resnet", task_id="a1", tags=("best",), created=0.0, updated=10.0, scalars=scal(0.70),
             config={"General": {"lr": 0.1, "opt": "adam"}},
             media=[image("metric", "Plot as an image", it, PNG_BYTES) for it in (0, 3)],
             plots=[Plot("confusion", "matrix", 2, {"data": [{"type": "heatmap", "z": [[1, 2], [3, 4]]}]})])
    add_task(st, "vision", "vit", task_id="a2", tags=("best", "debug"), updated=30.0, scalars=scal(0.90),
             config={"General": {"lr": 0.01, "opt": "sgd"}})
    add_task(st, "vision", "mlp", task_id="a3", tags=("baseline",), updated=20.0, scalars=scal(0.80),
             config={"General": {"lr": 0.5, "opt": "sgd"}})
    add_task(st, "nlp", "bert", task_id="b1", tags=("best",), updated=40.0, scalars=scal(0.99))
    app = create_app(root, config={"RINGLOG_STORE": st})
    app.config["TESTING"] = True
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "127.0.0.1"  # the guard serves loopback names only
    return client


def _ok(resp, code=200):
    assert resp.status_code == code, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def widget(client, query: str) -> dict:
    return _ok(client.get("/widgets/data?" + query))


def task_ids(client, query: str) -> list[str]:
    return [t["id"] for t in widget(client, query)["tasks"]]


# ------------------------------------------------------------------------------ the report's life
def test_create_in_a_project_with_a_description_that_search_finds(world):
    doc = _ok(world.post("/api/reports", json={"name": "Findings", "project": "vision", "markdown": "# Findings\n",
                                               "description": "augmentation ablation", "tags": ["q3"]}), 201)
    assert doc["status"] == "draft" and not doc["archived"] and doc["version"] >= 1
    # the card's fields: name, project, creating user, last update, status, description, tags
    listed = _ok(world.get("/api/reports?q=ablation"))["reports"]
    assert [r["id"] for r in listed] == [doc["id"]]
    card = listed[0]
    assert (card["name"], card["project"], card["description"], card["tags"]) == (
        "Findings", "vision", "augmentation ablation", ["q3"])
    assert card["user"] and card["updated"] and card["status"] == "draft"
    assert _ok(world.get("/api/reports?q=nothing-like-it"))["reports"] == []
    # the reports page, project view (cards per top-level project) and list view
    assert "vision" in world.get("/reports").get_data(as_text=True)
    assert "Findings" in world.get("/reports?view=list").get_data(as_text=True)


def test_edit_then_publish_locks_the_content(world):
    doc = _ok(world.post("/api/reports", json={"name": "R", "project": "p", "markdown": "one"}), 201)
    edited = _ok(world.patch(f"/api/reports/{doc['id']}", json={"markdown": "two", "version": doc["version"]}))
    assert edited["markdown"] == "two" and edited["version"] > doc["version"]
    stale = world.patch(f"/api/reports/{doc['id']}", json={"markdown": "three", "version": doc["version"]})
    assert stale.status_code == 409  # an editor holding an old version cannot overwrite a newer one
    published = _ok(world.post(f"/api/reports/{doc['id']}/publish", json={}))
    assert published["status"] == "published"
    locked = world.patch(f"/api/reports/{doc['id']}", json={"markdown": "four", "version": published["version"]})
    assert locked.status_code == 423 and _ok(world.get(f"/api/reports/{doc['id']}"))["markdown"] == "two"


def test_card_menu_rename_share_tag_move_archive_delete(world):
    doc = _ok(world.post("/api/reports", json={"name": "Old", "project": "vision"}), 201)
    rid = doc["id"]
    assert _ok(world.post(f"/api/reports/{rid}/rename", json={"name": "New"}))["name"] == "New"
    share = _ok(world.get(f"/api/reports/{rid}/share"))["url"]
    assert share.endswith(f"/reports/{rid}") and world.get(share.split("127.0.0.1", 1)[-1]).status_code == 200
    assert _ok(world.post(f"/api/reports/{rid}/tags", json={"add": ["keep"]}))["tags"] == ["keep"]
    # "if the target project does not exist, it is created on-the-fly"
    assert _ok(world.post(f"/api/reports/{rid}/move", json={"project": "brand/new"}))["project"] == "brand/new"
    assert "brand/new" in _ok(world.get("/api/reports"))["project_names"]
    # delete needs the report archived first
    assert world.delete(f"/api/reports/{rid}").status_code == 403
    assert _ok(world.post(f"/api/reports/{rid}/archive"))["archived"] is True
    assert rid not in [r["id"] for r in _ok(world.get("/api/reports"))["reports"]]
    assert rid in [r["id"] for r in _ok(world.get("/api/reports?archived=1"))["reports"]]
    assert _ok(world.delete(f"/api/reports/{rid}")) == {"deleted": rid}
    assert world.get(f"/api/reports/{rid}").status_code == 404


def test_copy_the_markdown_and_download_a_pdf(world):
    doc = _ok(world.post("/api/reports", json={"name": "Res ü", "project": "p", "markdown": "# T\n\nbody"}), 201)
    md = world.get(f"/api/reports/{doc['id']}/markdown?download=1")
    assert md.mimetype == "text/markdown" and md.get_data(as_text=True) == "# T\n\nbody"
    assert "attachment" in md.headers["Content-Disposition"]
    pdf = world.get(f"/api/reports/{doc['id']}/pdf")
    # a PDF when headless Chromium is installed, else a 503 that says so
    assert (pdf.status_code == 200 and pdf.data.startswith(b"%PDF")) or (
        pdf.status_code == 503 and pdf.get_json()["error"]["kind"] == "pdf_unavailable")


def test_images_uploaded_from_your_computer(world):
    doc = _ok(world.post("/api/reports", json={"name": "R", "project": "p"}), 201)
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buf, format="PNG")
    up = _ok(world.post(f"/api/reports/{doc['id']}/assets", data={"file": (io.BytesIO(buf.getvalue()), "plot.png")},
                        content_type="multipart/form-data"), 201)
    assert up["markdown"] == f"![plot]({up['url']})"
    with world.get(up["url"]) as served:  # a file response: closed, not left to the collector
        assert served.data == buf.getvalue()
    html = _ok(world.post("/api/reports/preview", json={"markdown": up["markdown"]}))["html"]
    assert f'<img src="{up["url"]}" alt="plot">' in html


# ------------------------------------------------------------------------------ embed codes
def test_the_standard_embed_code(world):
    src = ("/widgets/?type=sample&objectType=task&objects=a1&xaxis=iter&metrics=metric"
           "&variants=Plot%20as%20an%20image&company=my-workspace")
    page = world.get(src)
    assert page.status_code == 200 and page.mimetype == "text/html"
    data = widget(world, src.split("?", 1)[1])
    (group,) = data["samples"]  # the workspace id is accepted (one workspace here) and ignored
    assert (group["title"], group["series"], group["task"]) == ("metric", "Plot as an image", "a1")
    assert [it["iteration"] for it in group["items"]] == [0, 3]
    # pasted into a report, it stays a live, sandboxed frame
    body = f'<iframe\n  src="{src}"\n  width="100%" height="400"\n></iframe>'
    html = _ok(world.post("/api/reports/preview", json={"markdown": body}))["html"]
    assert "<iframe" in html and "sandbox=" in html and "rl-blocked" not in html


def test_the_widget_endpoint_as_the_text_spells_it(world):
    resp = world.get("/widget/?type=scalar&objectType=task&objects=a1")
    assert resp.status_code == 301 and resp.headers["Location"] == "/widgets/?type=scalar&objectType=task&objects=a1"


def test_object_type_task_and_model(world):
    assert task_ids(world, "objectType=task&type=scalar&objects=a1") == ["a1"]
    model = world.get("/widgets/data?objectType=model&type=scalar&objects=a1")  # a1 is a task, not a model
    assert model.status_code == 200 and model.get_json()["tasks"] == []


def test_several_objects(world):
    assert task_ids(world, "type=single&objects=a3&objects=a1&objects=a2") == ["a3", "a1", "a2"]


def test_each_widget_type(world):
    scalar = widget(world, "type=scalar&objects=a1&metrics=training&variants=accuracy")
    (chart,) = scalar["charts"]
    assert chart["title"] == "training" and [t["series"] for t in chart["traces"]] == ["accuracy"]
    assert chart["traces"][0]["x"] == [0, 1, 2] and chart["traces"][0]["y"] == pytest.approx([0.1, 0.7, 0.65])

    (plot,) = widget(world, "type=plot&objects=a1")["plots"]
    assert (plot["title"], plot["series"], plot["figure"]["data"][0]["z"]) == ("confusion", "matrix", [[1, 2], [3, 4]])

    single = widget(world, "type=single&objects=a1&objects=a2")  # the single-values table
    assert single["columns"] == ["best_acc"] and [r["values"]["best_acc"] for r in single["rows"]] == [0.7, 0.9]

    assert widget(world, "type=sample&objects=a1")["samples"][0]["series"] == "Plot as an image"

    # parcoords: metrics=<md5 metric>.<md5 variant>, variants=<section>.<parameter>, value_type
    mv = f"{md5('training')}.{md5('accuracy')}"
    for value_type, expect in (("value", [0.65, 0.85, 0.75]), ("max_value", [0.7, 0.9, 0.8]),
                               ("min_value", [0.1, 0.1, 0.1])):
        pc = widget(world, f"type=parcoords&objects=a1&objects=a2&objects=a3&metrics={mv}"
                           f"&variants=General.lr&variants=General.opt&value_type={value_type}")
        assert pc["values"] == pytest.approx(expect) and pc["metric"] == "training/accuracy"
    lr, opt = pc["dimensions"]
    assert lr == {"label": "General.lr", "values": [0.1, 0.01, 0.5]} and opt["ticktext"] == ["adam", "sgd"]


def test_x_axis_units(world):
    def xs(axis):
        return widget(world, f"type=scalar&objects=a1&metrics=training&xaxis={axis}")["charts"][0]["traces"][0]["x"]
    assert xs("iter") == [0, 1, 2]
    assert xs("timestamp") == [1.0, 2.0, 3.0]  # seconds from the task's start (created at 0 here)
    assert xs("iso_time") == [1000.0, 2000.0, 3000.0]  # wall time, epoch milliseconds for the date axis
    assert world.get("/widgets/data?type=scalar&objects=a1&xaxis=epoch").status_code == 400


def test_url_encoded_names_and_md5_ids(world):
    by_name = widget(world, "type=scalar&objects=a1&metrics=Metric%20Name&variants=my%20variant")
    assert [c["title"] for c in by_name["charts"]] == ["Metric Name"]
    by_id = widget(world, f"type=scalar&objects=a1&metrics={md5('Metric Name')}&variants={md5('my variant')}")
    assert by_id["charts"] == by_name["charts"]


def test_light_theme(world):
    assert widget(world, "type=scalar&objects=a1&light=true")["light"] is True
    assert widget(world, "type=scalar&objects=a1")["light"] is False
    assert "rl-light" in world.get("/widgets/?type=scalar&objects=a1&light").get_data(as_text=True)


# ------------------------------------------------------------------------------ dynamic queries
def test_latest_task_of_a_project_by_its_id(world):
    projects = {p["name"]: p["id"] for p in _ok(world.get("/api/projects"))["projects"]}
    assert projects["vision"] == md5("vision")  # a project's id is shown in the UI and derivable
    q = (f"objectType=task&xaxis=iter&type=scalar&metrics=training&variants=accuracy&project={projects['vision']}"
         "&page_size=1&page=0&order_by[]=-last_update")
    assert task_ids(world, q) == ["a2"]
    assert task_ids(world, q.replace("page_size=1", "page_size=2")) == ["a2", "a3"]
    assert task_ids(world, q.replace("page_size=1&page=0", "page_size=2&page=1")) == ["a1"]
    assert task_ids(world, q.replace(projects["vision"], "vision")) == ["a2"]  # the name works too


def test_tag_filters(world):
    # the tag filter syntax of ClearML's Task.get_tasks(tags=...) (clearml/clearml clearml/task.py,
    # its docstring): plain tags OR'ed, "-tag" excludes, "__$or"/"__$all" switch the operator for the
    # tags after them, "__$not" negates the next tag only
    assert task_ids(world, "type=scalar&tags[]=__$or,best") == ["b1", "a2", "a1"]
    assert task_ids(world, "type=scalar&tags[]=best,-debug") == ["b1", "a1"]
    assert task_ids(world, "type=scalar&tags[]=__$all,best,debug") == ["a2"]
    assert task_ids(world, "type=scalar&tags[]=__$all,best,__$not,debug") == ["b1", "a1"]
    assert task_ids(world, "type=scalar&tags[]=baseline&tags[]=debug") == ["a2", "a3"]  # key[]=a&key[]=b


def test_best_tasks_by_a_metric(world):
    mid, vid = md5("training"), md5("accuracy")
    q = f"objectType=task&xaxis=iter&type=scalar&metrics=training&variants=accuracy&project={md5('vision')}"
    assert task_ids(world, q + f"&page_size=5&page=0&order_by[]=-last_metrics.{mid}.{vid}.value") == ["a2", "a3", "a1"]
    assert task_ids(world, q + f"&page_size=2&order_by[]=last_metrics.{mid}.{vid}.max_value") == ["a1", "a3"]
    bad = world.get("/widgets/data?type=scalar&order_by[]=-last_metrics.training.accuracy.value")
    assert bad.status_code == 400 and "md5" in bad.get_json()["error"]["message"]


# ------------------------------------------------------------------------------ the Markdown guide
def render(world, markdown: str) -> str:
    return _ok(world.post("/api/reports/preview", json={"markdown": markdown}))["html"]


def test_headings(world):
    html = render(world, "# H1\n## H2\n### H3\n#### H4\n##### H5\n###### H6\n")
    assert [f"<h{n}>H{n}</h{n}>" in html for n in range(1, 7)] == [True] * 6


def test_emphasis_and_inline_code(world):
    html = render(world, "**This is bold text** and __so is this__, *italic* and _so is this_, "
                         "~~Strikethrough~~ `this is code`")
    assert "<strong>This is bold text</strong>" in html and "<strong>so is this</strong>" in html
    assert "<em>italic</em>" in html and "<em>so is this</em>" in html
    assert "<s>Strikethrough</s>" in html and "<code>this is code</code>" in html


def test_nested_blockquotes(world):
    html = render(world, "> Blockquote\n>> Nested quote 1\n>>> Nested quote 2\n")
    assert html.count("<blockquote>") == 3 and "Nested quote 2" in html


def test_ordered_lists_renumber(world):
    html = render(world, "1. Item 1\n2. Item 2\n1. Item 3\n1. Item 4\n")
    assert "<ol>" in html and html.count("<li>") == 4 and 'start="' not in html


def test_unordered_lists_nest_and_check(world):
    html = render(world, "+ Item 1\n+ Item 2\n  - Sub-item a:\n    * Sub-sub-item x\n    + Sub-sub-item y\n"
                         "    - Sub-sub-item z\n* [x] A checkmark\n")
    assert html.count("<ul") >= 3 and "Sub-sub-item z" in html
    box = re.search(r"<input[^>]*>", html).group(0)
    assert 'type="checkbox"' in box and "checked" in box and "disabled" in box


def test_tables_with_alignment(world):
    html = render(world, "|          | Align Right | Align Left | Align Center |\n"
                         "| -------- | -----------:|:---------- |:------------:|\n"
                         "| 1        |           1 | 1          |      1       |\n"
                         "| 11       |          11 | 11         |      11      |\n")
    assert "<table>" in html and html.count("<tr>") == 3
    for align in ("right", "left", "center"):
        assert f'style="text-align:{align}"' in html


def test_code_indented_fenced_and_highlighted(world):
    code = "from clearml import Task\n\nt = Task.init(project_name='My project', task_name='Base')"
    indented = render(world, "\n".join("    " + line if line else "" for line in code.splitlines()) + "\n")
    fenced = render(world, f"```\n{code}\n```\n")
    assert "<pre><code>from clearml import Task" in indented and "<pre><code>from clearml import Task" in fenced
    highlighted = render(world, f"```python\n{code}\n```\n")
    assert 'class="language-python"' in highlighted and "<span class=" in highlighted


def test_links_with_and_without_title(world):
    html = render(world, '[link text](https://clear.ml) and [link with title](https://clear.ml "ClearML Documentation")')
    assert '<a href="https://clear.ml" rel="noopener noreferrer">link text</a>' in html
    assert 'title="ClearML Documentation"' in html


def test_collapsible_sections(world):
    html = render(world, "<details><summary>Section title</summary>Collapsible Section Contents</details>")
    assert "<details><summary>Section title</summary>Collapsible Section Contents</details>" in html


def test_image_hyperlinks_from_other_sites_show_their_link(world):
    # ClearML's web app loads them; ringlog's pages load images from the viewer only (CSP)
    html = render(world, "![Report](https://clear.ml/docs/img/webapp_report.png)")
    assert "<img" not in html and 'href="https://clear.ml/docs/img/webapp_report.png"' in html
