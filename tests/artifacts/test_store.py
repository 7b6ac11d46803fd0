"""The artifact store (store/artifacts.py): content-addressed blobs, versions, aliases, lineage, gc."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ringlog.store.artifacts import ArtifactNotFoundError, ArtifactStore, project_scope, task_scope
from ringlog.store.errors import StoreValueError

REPO = Path(__file__).resolve().parents[2]


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _noise(n: int, seed: int = 0) -> bytes:
    import numpy as np

    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_same_file_from_ten_tasks_is_stored_once(tmp_path):
    src = tmp_path / "weights.bin"
    src.write_bytes(_noise(8 << 20))
    a = ArtifactStore(tmp_path / "root", durable=False)
    for i in range(10):
        m = a.commit(task_scope(f"task{i}"), "model", type="model", files=[("weights.bin", src)],
                     producer=f"task{i}")
        assert m["version"] == "v0" and m["files"][0]["size"] == 8 << 20
    blobs = a.base / "blobs"
    assert _du(blobs) == 8 << 20  # 80 MB logged, 8 MB stored
    assert len(list(blobs.rglob("*"))) == 2  # one prefix folder, one blob


def test_versions_only_when_content_changes(tmp_path):
    a = ArtifactStore(tmp_path, durable=False)
    s = project_scope("demo")
    m0 = a.commit(s, "data", type="dataset", files=[("a.txt", b"one")], producer="t1")
    m0b = a.commit(s, "data", type="dataset", files=[("a.txt", b"one")], aliases=["best"], producer="t2")
    assert (m0["version"], m0["created_version"]) == ("v0", True)
    assert (m0b["version"], m0b["created_version"]) == ("v0", False)
    m1 = a.commit(s, "data", type="dataset", files=[("a.txt", b"two")], producer="t3")
    assert m1["version"] == "v1" and m1["aliases"] == ["latest"]
    assert a.get(s, "data", "best")["version"] == "v0"
    assert a.get(s, "data")["version"] == "v1"
    assert a.get(s, "data", "v0")["aliases"] == ["best"]
    a.set_aliases(s, "data", "v1", ["best"])  # an alias moves
    assert [v["aliases"] for v in a.versions(s, "data")] == [[], ["best", "latest"]]
    # back to the first content: the existing v0, not a v2
    assert a.commit(s, "data", files=[("a.txt", b"one")])["version"] == "v0"
    assert a.get(s, "data")["version"] == "v1"
    with pytest.raises(ArtifactNotFoundError, match="no alias 'prod'"):
        a.get(s, "data", "prod")
    with pytest.raises(ArtifactNotFoundError, match="no version 'v7'"):
        a.get(s, "data", "v7")
    with pytest.raises(ArtifactNotFoundError):
        a.get(s, "nothing")


def test_lineage_both_ways(tmp_path):
    a = ArtifactStore(tmp_path, durable=False)
    s = project_scope("demo")
    a.commit(s, "ds", files=[("x", b"1")], producer="maker")
    a.use(s, "ds", "latest", "reader1")
    a.use(s, "ds", "v0", "reader2")
    [v0] = a.versions(s, "ds")
    assert v0["producer"] == "maker" and v0["consumers"] == ["reader1", "reader2"]
    assert [(r["name"], r["version"]) for r in a.task_lineage("maker")["produced"]] == [("ds", "v0")]
    assert [(r["name"], r["version"]) for r in a.task_lineage("reader1")["used"]] == [("ds", "v0")]
    assert a.task_lineage("reader1")["produced"] == []


def test_bad_input_names_the_argument(tmp_path):
    a = ArtifactStore(tmp_path, durable=False)
    s = project_scope("demo")
    for path in ("../x", "/etc/passwd", "a/../b", "", "a\\b"):
        with pytest.raises(StoreValueError, match="path"):
            a.commit(s, "n", files=[(path, b"x")])
    with pytest.raises(StoreValueError, match="path: 'x' is added twice"):
        a.commit(s, "n", files=[("x", b"1"), ("x", b"2")])
    with pytest.raises(StoreValueError, match="scope"):
        a.commit("../../etc", "n", files=[("x", b"1")])
    with pytest.raises(StoreValueError, match="aliases"):
        a.commit(s, "n", files=[("x", b"1")], aliases=["v3"])
    with pytest.raises(StoreValueError, match="digest"):
        a.blob_path("../../../etc/passwd")
    with pytest.raises(StoreValueError, match="source"):
        a.commit(s, "n", files=[("x", tmp_path / "missing")])
    assert a.latest(s) == []  # nothing half-made


def test_download_and_open(tmp_path):
    a = ArtifactStore(tmp_path / "r", durable=False)
    m = a.commit(project_scope("p"), "d", files=[("sub/a.txt", b"hello"), ("b.bin", b"\x00\x01")])
    out = a.download(m, tmp_path / "out")
    assert (out / "sub" / "a.txt").read_bytes() == b"hello" and (out / "b.bin").read_bytes() == b"\x00\x01"
    with a.open_file(m, "sub/a.txt") as f:
        assert f.read() == b"hello"
    with pytest.raises(ArtifactNotFoundError, match="no file"):
        a.open_file(m, "nope")


def test_gc_keeps_what_another_task_references(tmp_path):
    from ringlog.store import Store

    root = tmp_path / "root"
    st = Store(root, durable=False)
    w1 = st.create_task("p", "one")
    w2 = st.create_task("p", "two")
    w1.close()
    w2.close()
    a = ArtifactStore(root, durable=False)
    shared, own = _noise(1000, 1), _noise(1000, 2)
    a.commit(task_scope(w1.id), "m", files=[("shared", shared), ("own", own)], producer=w1.id)
    a.commit(task_scope(w2.id), "m", files=[("shared", shared)], producer=w2.id)
    assert a.gc(grace=0) == {"manifests": 0, "blobs": 0, "bytes": 0, "kept": 2, "young": 0, "tmp": 0}
    st.delete_task(w1.id)
    assert a.gc(grace=0, dry_run=True)["blobs"] == 1
    stats = a.gc(grace=0)
    assert (stats["manifests"], stats["blobs"], stats["bytes"], stats["kept"]) == (1, 1, 1000, 1)
    m = a.get(task_scope(w2.id), "m")
    with a.open_file(m, "shared") as f:
        assert f.read() == shared
    # an unreferenced blob younger than the grace period is spared (a commit may be under way)
    a.put(b"orphan")
    assert a.gc()["young"] == 1 and a.gc(grace=0)["blobs"] == 1


_KILL_CHILD = r"""
import os, sys, time
from ringlog.store import _fs
from ringlog.store.artifacts import ArtifactStore, project_scope
real = _fs.SYS.write
calls = [0]
def slow_write(fd, data):
    calls[0] += 1
    if calls[0] == 3:  # the big file's third chunk: tell the parent, then hang
        print("MID", flush=True)
        time.sleep(60)
    return real(fd, data)
_fs.SYS.write = slow_write
a = ArtifactStore(sys.argv[1])
a.commit(project_scope("p"), "ckpt", files=[("small", b"x" * 10), ("big", sys.argv[2])])
print("DONE", flush=True)
"""


def test_kill_during_upload_leaves_no_visible_version(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(_noise(20 << 20))
    root = tmp_path / "root"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_CHILD, str(root), str(big)], stdout=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        assert proc.stdout.readline().strip() == "MID"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    a = ArtifactStore(root, durable=False)
    assert a.latest(project_scope("p")) == []
    with pytest.raises(ArtifactNotFoundError):
        a.get(project_scope("p"), "ckpt")
    assert list((a.base / "tmp").iterdir())  # the torn blob sits in tmp/, never under blobs/
    assert all(p.stat().st_size == 10 for p in (a.base / "blobs").rglob("*") if p.is_file())
    stats = a.gc(grace=0)
    assert stats["tmp"] == 1 and stats["blobs"] == 1 and not list((a.base / "tmp").iterdir())


_CONCURRENT_CHILD = r"""
import sys
from ringlog.store.artifacts import ArtifactStore, project_scope
a = ArtifactStore(sys.argv[1])
for i in range(8):
    a.commit(project_scope("p"), "shared-name", files=[("f", f"{sys.argv[2]}-{i}".encode())])
"""


def test_two_processes_committing_one_name_get_distinct_versions(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT_CHILD, str(tmp_path), tag], cwd=REPO)
             for tag in ("a", "b")]
    assert [p.wait(60) for p in procs] == [0, 0]
    vs = ArtifactStore(tmp_path).versions(project_scope("p"), "shared-name")
    assert [v["version"] for v in vs] == [f"v{i}" for i in range(16)]
    assert len({v["digest"] for v in vs}) == 16


_STREAM_CHILD = r"""
import os, sys
from ringlog.store.artifacts import ArtifactStore, project_scope
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
a = ArtifactStore(sys.argv[1], durable=False)
a.put(b"warm")  # imports done
before = hwm()
m = a.commit(project_scope("p"), "big", files=[("big.bin", sys.argv[2])])
out = a.download(m, sys.argv[3])
print(m["files"][0]["size"], hwm() - before)
"""


def test_large_file_streams_with_bounded_memory(tmp_path):
    """CI size 128 MiB (sparse source, so the disk cost is the blob and the copy); the 2 GiB run is
    ``RINGLOG_ARTIFACT_STREAM_MB=2048 pytest tests/artifacts/test_store.py -k streams``."""
    mb = int(os.environ.get("RINGLOG_ARTIFACT_STREAM_MB", "128"))
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(mb << 20)
        f.seek((mb << 20) // 2)
        f.write(b"middle")
    proc = subprocess.run([sys.executable, "-c", _STREAM_CHILD, str(tmp_path / "r"), str(big), str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr
    size, grew = map(int, proc.stdout.split())
    assert size == mb << 20
    assert grew < 64 << 20, f"peak memory grew {grew >> 20} MiB while storing {mb} MiB"
    assert (tmp_path / "o" / "big.bin").stat().st_size == mb << 20


@pytest.mark.parametrize("damage", [
    lambda m: m.update(files="not a list"),
    lambda m: m["files"][0].update(sha256="../../etc/passwd"),
    lambda m: m["files"][0].update(size="big"),
    lambda m: m.update(version="v9"),
    lambda m: m.update(references=[{"path": 1}]),
    None,  # truncated JSON
])
def test_a_damaged_manifest_hides_its_version_and_stops_gc(tmp_path, damage):
    import json

    from ringlog.store.errors import CorruptStoreError

    a = ArtifactStore(tmp_path, durable=False)
    s = project_scope("p")
    a.commit(s, "d", files=[("x", b"one")])
    a.commit(s, "d", files=[("x", b"two")])
    a.put(b"orphan")
    p = next((a.base / "m" / s).glob("*/v1.json"))
    if damage is None:
        p.write_bytes(p.read_bytes()[:40])
    else:
        m = json.loads(p.read_text())
        damage(m)
        p.write_text(json.dumps(m))
    assert [v["version"] for v in a.versions(s, "d")] == ["v0"]  # listings skip it
    assert a.latest(s)[0]["version"] == "v0"
    with pytest.raises(CorruptStoreError):
        a.get(s, "d", "v1")
    before = sorted(x for x in (a.base / "blobs").rglob("*") if x.is_file())
    with pytest.raises(CorruptStoreError, match="gc stopped"):
        a.gc(grace=0)
    assert sorted(x for x in (a.base / "blobs").rglob("*") if x.is_file()) == before  # nothing removed
