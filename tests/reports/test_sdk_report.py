"""ringlog.Report: the Python API over the same store the viewer reads."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ringlog.report import Report
from ringlog.store.reports import ReportNotArchivedError, ReportPublishedError, ReportStore, ReportVersionConflictError


def test_create_get_list_update_publish(store_root):
    r = Report.create(name="Run summary", project="nlp", markdown="# Summary", description="d", tags=["t"],
                      root=store_root)
    assert len(r.id) == 32 and r.url == f"/reports/{r.id}" and r.status == "draft" and r.tags == ["t"]
    assert Report.get(r.id, root=store_root).markdown == "# Summary"
    assert [x.id for x in Report.list(root=store_root)] == [r.id]
    assert Report.list(project="other", root=store_root) == []
    r.update(markdown="# Summary\n\nloss went down")
    assert r.version == 2 and ReportStore(store_root).get(r.id)["markdown"].endswith("loss went down")
    r.publish()
    with pytest.raises(ReportPublishedError):
        r.update(markdown="nope")
    assert "published" in repr(r)


def test_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RINGLOG_DIR", str(tmp_path / "env_root"))
    r = Report.create(name="n", project="p")
    assert (tmp_path / "env_root" / ".reports" / r.id / "report.json").is_file()
    monkeypatch.delenv("RINGLOG_DIR")
    monkeypatch.chdir(tmp_path)
    r2 = Report.create(name="n", project="p")
    assert (tmp_path / "ringlog_data" / ".reports" / r2.id / "report.json").is_file()


def test_stale_object_cannot_overwrite_a_newer_edit(store_root):
    a = Report.create(name="n", project="p", markdown="one", root=store_root)
    b = Report.get(a.id, root=store_root)
    b.update(markdown="two")
    with pytest.raises(ReportVersionConflictError, match="changed elsewhere"):
        a.update(markdown="three")
    a.append("four")  # append re-reads first
    assert Report.get(a.id, root=store_root).markdown == "two\nfour"
    a.update(markdown="forced", force=True)
    assert a.reload().markdown == "forced"


def test_filing_actions_images_and_delete(store_root):
    r = Report.create(name="n", project="p", root=store_root)
    r.rename("m").add_tags("a", "b").remove_tags("a").move("q")
    assert (r.name, r.tags, r.project) == ("m", ["b"], "q")
    buf = io.BytesIO()
    Image.new("L", (2, 2)).save(buf, format="JPEG")
    snippet = r.add_image(buf.getvalue(), alt="pic")
    assert snippet.startswith(f"![pic](/api/reports/{r.id}/assets/") and snippet.endswith(".jpg)")
    with pytest.raises(ReportNotArchivedError):
        r.delete()
    r.archive()
    assert Report.list(root=store_root) == [] and Report.list(archived=True, root=store_root) == [r]
    r.delete()
    with pytest.raises(KeyError):
        Report.get(r.id, root=store_root)


def test_embed_helper_and_type_errors(store_root):
    code = Report.embed("single", ["abc"])
    assert code.startswith('<iframe src="/widgets/?type=single&objectType=task&objects=abc')
    assert Report.metric_id("") == "d41d8cd98f00b204e9800998ecf8427e"
    with pytest.raises(TypeError, match="root must be"):
        Report.create(name="n", project="p", root=3)
    with pytest.raises(AttributeError):
        Report.get(Report.create(name="n", project="p", root=store_root).id, root=store_root).nope


def test_report_goes_to_the_current_runs_store(tmp_path, monkeypatch):
    import ringlog

    monkeypatch.setenv("RINGLOG_DIR", str(tmp_path / "env_root"))
    with ringlog.init(project="p", dir=tmp_path / "run_root", capture=False):
        r = Report.create(name="end of run", project="p", markdown="# Done")
    assert (tmp_path / "run_root" / ".reports" / r.id / "report.json").is_file()
