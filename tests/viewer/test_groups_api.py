"""Issue 16, part 4: run groups in the viewer's API. A group chart's band and mean are checked
per bucket against numpy over the runs' raw points, on the grid the API documents (equal-width
buckets over the range; the store fills bucket j from pieces whose first x lies in it), for runs of
different lengths, with NaN/Inf, at full view and zoomed, from the pyramid and from raw points."""

from __future__ import annotations

import numpy as np
import pytest

from ringlog.core.decimate import equal_width_edges
from ringlog.store.testing import Scalar, write_task

P = "ddp-proj"
IDS = ["1" * 32, "2" * 32, "3" * 32]


def _series(n: int, seed: int, nan_at=(), inf_at=(), ninf_at=()) -> Scalar:
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=np.int64)
    v = np.cumsum(rng.normal(size=n)) * 0.01 + seed
    v[list(nan_at)] = np.nan
    v[list(inf_at)] = np.inf
    v[list(ninf_at)] = -np.inf
    return Scalar(step, v, 1.7e9 + step * 0.01)


def _group(store, lengths, *, group="DDP", job_type="train", project=P, extra=None, ids=IDS):
    data = {}
    for i, (tid, n) in enumerate(zip(ids, lengths)):
        s = _series(n, i + 1, nan_at=(n // 3,), inf_at=(n // 2,) if i == 0 else (), ninf_at=(n - 1,) if i == 2 else ())
        w = write_task(store, project, f"rank{i}", task_id=tid, close=False, created=1.8e9 + i, updated=1.8e9 + i,
                       scalars={"loss": s, **(extra or {})})
        w.set_meta(init_args={"group": group, "job_type": job_type})
        w.close(status="completed")
        data[tid] = s
    return data


def _reference(data, x0, x1, points, piece_of=None):
    """Per grid bucket: (first x, last x, min, max, mean of run means, runs with finite values,
    lowest run mean, highest run mean)."""
    edges = equal_width_edges(x0, x1, points)
    per = []
    for tid, s in data.items():
        x = s.step.astype(np.float64)
        inside = (x >= x0) & (x <= x1)
        x, v = x[inside], s.value[inside]
        key = x if piece_of is None else piece_of(tid, s.step[inside])   # the x that places each point
        j = np.clip(np.searchsorted(edges, key, "right") - 1, 0, points - 1)
        per.append((x, v, j))
    rows = []
    for b in range(points):
        xs = np.concatenate([x[j == b] for x, v, j in per])
        if not len(xs):
            continue
        vals = [v[j == b] for x, v, j in per]
        fin = [u[np.isfinite(u)] for u in vals]
        allf = np.concatenate(fin)
        means = [u.mean() for u in fin if len(u)]
        rows.append((xs.min(), xs.max(), allf.min() if len(allf) else np.nan, allf.max() if len(allf) else np.nan,
                     np.mean(means) if means else np.nan, len(means),
                     min(means) if means else np.nan, max(means) if means else np.nan))
    return np.array(rows, dtype=np.float64)


def _check(d, ref):
    band_x = np.array(d["band"]["x"], dtype=np.float64).reshape(-1, 2)
    assert len(band_x) == len(ref)
    np.testing.assert_array_equal(band_x[:, 0], ref[:, 0])
    np.testing.assert_array_equal(band_x[:, 1], ref[:, 1])
    lo = np.array(d["band"]["lo"], dtype=np.float64)[::2]
    hi = np.array(d["band"]["hi"], dtype=np.float64)[::2]
    np.testing.assert_array_equal(lo, ref[:, 2])       # exact: min of mins, max of maxes
    np.testing.assert_array_equal(hi, ref[:, 3])
    np.testing.assert_allclose(np.array(d["y"], dtype=np.float64), ref[:, 4], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(d["n_runs"], ref[:, 5])
    # the spread: lowest and highest run mean per bucket
    np.testing.assert_allclose(np.array(d["spread"]["lo"], dtype=np.float64)[::2], ref[:, 6], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.array(d["spread"]["hi"], dtype=np.float64)[::2], ref[:, 7], rtol=1e-9, atol=1e-12)
    assert d["spread"]["x"] == d["band"]["x"]


def test_full_view_from_the_pyramid_matches_numpy_per_bucket(live, store, client):
    # 2**18 points over 256 buckets: buckets of 1024 steps, level-1 pieces of 256 steps never straddle
    # an edge, so the plain equal-width numpy bucketing is the exact reference
    data = _group(store, [1 << 18, 180_000, 70_000])
    d = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points=256").get_json()
    assert [r["id"] for r in d["runs"]] == IDS and all(r["level"] >= 1 for r in d["runs"])
    assert d["grid"] == {"x0": 0.0, "x1": float((1 << 18) - 1)} and not d["exact"]
    _check(d, _reference(data, 0, (1 << 18) - 1, 256))
    # a second full view takes the range from the cached first steps and the index's last steps
    again = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points=256").get_json()
    assert again["grid"] == d["grid"] and again["band"] == d["band"] and again["y"] == d["y"]
    # runs of different lengths: past 70k only two runs count, past 180k one
    n_runs = np.array(d["n_runs"])
    assert n_runs[0] == 3 and n_runs[-1] == 1 and set(n_runs.tolist()) == {1, 2, 3}
    # NaN/Inf are left out of band and mean and marked per bucket, counted over the runs
    kinds = {}
    for k, c in zip(d["nonfinite"]["kind"], d["nonfinite"]["count"]):
        kinds[k] = kinds.get(k, 0) + c
    assert kinds == {"nan": 3, "+inf": 1, "-inf": 1}, d["nonfinite"]
    # each run's own bucket means come along, for the faint run lines
    r0 = np.array(d["runs"][0]["mean"], dtype=np.float64)
    assert len(r0) == len(d["x"]) and np.isnan(r0).sum() == 0
    r2 = np.array(d["runs"][2]["mean"], dtype=np.float64)
    assert np.isnan(r2[-1]) and not np.isnan(r2[0])
    assert sum(d["runs"][0]["n"]) == (1 << 18) - 2 and sum(d["runs"][2]["n"]) == 70_000 - 2   # finite points


def test_zoom_matches_numpy_aligned_and_by_pieces(live, store, client):
    data = _group(store, [1 << 18, 180_000, 70_000])
    # aligned zoom: 200 buckets of 256 steps starting on a level-1 boundary
    x0, x1 = 25_600, 25_600 + 200 * 256 - 1
    d = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points=200&x_min={x0}&x_max={x1}").get_json()
    assert d["level"] == 1
    _check(d, _reference(data, x0, x1, 200))
    # any zoom: the store places whole pieces (a raw run up to the first level-1 boundary, level-1
    # buckets, a raw run after the last) by their first x, or, when the range holds fewer than
    # `points` level-1 buckets, the raw points by their own x; the reference does the same
    x0, x1, pts = 31_337, 160_001, 300
    d = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points={pts}&x_min={x0}&x_max={x1}").get_json()
    assert d["level"] == 1

    def piece_of(tid, steps):   # steps == raw index here
        n = len(data[tid].step)
        hi = min(n, x1 + 1)
        first_b, last_b = -(-x0 // 256) * 256, (hi // 256) * 256
        if (last_b - first_b) // 256 < pts:
            return steps.astype(np.float64)
        p = np.where(steps < first_b, x0, np.where(steps >= last_b, last_b, steps // 256 * 256))
        return p.astype(np.float64)
    _check(d, _reference(data, x0, x1, pts, piece_of))


def test_short_ranges_and_raw_points_are_exact(live, store, client):
    data = _group(store, [3000, 2000, 900])
    for q, (x0, x1, pts) in {"points=500": (0, 2999, 500), "points=4000": (0, 2999, 4000),
                             "points=100&x_min=100.5&x_max=1900": (100.5, 1900, 100)}.items():
        d = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&{q}").get_json()
        assert d["level"] == 0
        _check(d, _reference(data, x0, x1, pts))
    d = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points=4000").get_json()
    assert d["exact"] and len(d["x"]) == 3000      # every step its own bucket: the mean of the runs there


def test_group_list_members_and_charts(live, store, client):
    _group(store, [500, 400, 300], extra={("acc", "top1"): _series(50, 9)})
    w = write_task(store, P, "eval", task_id="4" * 32, close=False, scalars={"loss": _series(10, 4)})
    w.set_meta(init_args={"group": "DDP", "job_type": "eval"})
    w.close(status="failed")
    g = client.get(f"/api/groups?project={P}").get_json()
    assert g["groups"] == [{"name": "DDP", "runs": 4, "statuses": {"completed": 3, "failed": 1},
                            "job_types": {"train": 3, "eval": 1}, "projects": [P], "updated": g["groups"][0]["updated"]}]
    j = client.get(f"/api/groups?project={P}&by=job_type").get_json()
    assert {e["name"]: e["runs"] for e in j["groups"]} == {"train": 3, "eval": 1}
    r = client.get(f"/api/groups/runs?project={P}&group=DDP&job_type=train").get_json()
    assert [u["id"] for u in r["runs"]] == IDS and r["runs"][0]["job_type"] == "train"
    assert [(c["key"], c["runs"]) for c in r["charts"]] == [("acc/top1", 3), ("loss", 3)]
    d = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points=100").get_json()
    assert len(d["runs"]) == 4                        # both job types when only the group is named
    b = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points=100&enc=b64").get_json()
    assert b["y"]["dtype"] == "<f8" and b["runs"][0]["mean"]["dtype"] == "<f8"
    y = np.frombuffer(__import__("base64").b64decode(b["y"]["b64"]), "<f8")
    np.testing.assert_array_equal(np.nan_to_num(y, nan=-9), np.nan_to_num(np.array(d["y"], dtype=float), nan=-9))
    page = client.get(f"/groups?project={P}&group=DDP")
    assert page.status_code == 200 and b"group.js" in page.data and b"group DDP" in page.data
    # a run's task page links to its group
    assert f'href="/groups?project={P}&amp;group=DDP"'.encode() in client.get(f"/tasks/{IDS[0]}").data
    assert b'class="group-link"' not in client.get("/tasks/" + "a" * 32).data
    # All tasks: no project named, every project's runs of the group
    assert [e["name"] for e in client.get("/api/groups").get_json()["groups"]] == ["DDP"]
    assert len(client.get("/api/groups/runs?group=DDP").get_json()["runs"]) == 4
    assert client.get("/groups?job_type=eval").status_code == 200
    assert client.get("/groups?project=nope&group=DDP").status_code == 404


@pytest.mark.parametrize("q, code, word", [
    ("project=ddp-proj&title=loss", 400, "group"),
    ("project=ddp-proj&group=nope&title=loss", 404, "nope"),
    ("project=ddp-proj&group=DDP", 400, "title"),
    ("project=ddp-proj&group=DDP&title=missing", 404, "missing"),
    ("project=ddp-proj&group=DDP&title=loss&points=2", 400, "points"),
    ("project=ddp-proj&group=DDP&title=loss&x_min=5&x_max=1", 400, "x_max"),
])
def test_bad_group_queries_name_the_argument(live, store, client, q, code, word):
    _group(store, [100, 100, 100])
    r = client.get("/api/groups/scalar?" + q)
    assert r.status_code == code and word in r.get_json()["error"]["message"], r.get_json()


def test_bad_group_list_query(client):
    r = client.get("/api/groups?by=colour")
    assert r.status_code == 400 and "by" in r.get_json()["error"]["message"]


def test_runs_logged_with_wandb_group_form_the_group(tmp_path):
    """The SDK's W&B facade records group/job_type; the viewer groups those runs (ends to ends)."""
    import ringlog
    from ringlog.viewer import create_app

    for rank in range(3):
        ringlog.init(project="ddp", name=f"rank{rank}", group="DDP", job_type="train", dir=str(tmp_path),
                     capture=False)
        for step in range(100 + 50 * rank):
            ringlog.log({"loss": 1.0 / (step + 1) + 0.01 * rank})
        ringlog.finish()
    c = create_app(tmp_path).test_client()
    g = c.get("/api/groups?project=ddp").get_json()["groups"]
    assert [(e["name"], e["runs"], e["job_types"]) for e in g] == [("DDP", 3, {"train": 3})]
    d = c.get("/api/groups/scalar?project=ddp&group=DDP&title=loss&points=200").get_json()
    assert [r["raw_count"] for r in d["runs"]] == [100, 150, 200] and d["exact"]
    assert d["n_runs"][0] == 3 and d["n_runs"][-1] == 1
    np.testing.assert_allclose(d["y"][0], 1.0 + 0.01, rtol=1e-12)   # step 0: mean of 1.00, 1.01, 1.02


def test_a_run_whose_steps_go_back_is_bucketed_from_its_raw_points(live, store, client):
    data = _group(store, [1500, 900], ids=IDS[:2])
    step = np.r_[np.arange(1000), np.arange(500, 1700)].astype(np.int64)   # ClearML-style iterations re-logged
    v = np.sin(step / 50.0) + np.r_[np.zeros(1000), np.full(1200, 0.5)]
    w = write_task(store, P, "rank2", task_id=IDS[2], close=False, created=1.8e9 + 2, updated=1.8e9 + 2,
                   scalars={"loss": Scalar(step, v, 1.7e9 + np.arange(len(step)) * 0.01)})
    w.set_meta(init_args={"group": "DDP", "job_type": "train"})
    w.close(status="completed")
    data[IDS[2]] = Scalar(step, v, step * 0.0)
    for _ in range(2):   # the second full view must not trust a cached first step of an unsorted run
        d = client.get(f"/api/groups/scalar?project={P}&group=DDP&title=loss&points=100").get_json()
        assert d["grid"] == {"x0": 0.0, "x1": 1699.0}
        assert d["runs"][2]["raw_count"] == 2200 and not d["runs"][2]["exact"] and "skipped" not in d["runs"][2]
        _check(d, _reference(data, 0, 1699, 100))
