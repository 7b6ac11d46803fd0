"""W&B's Object3D (point clouds from numpy and .obj/.gltf/.glb/.pts.json files) and Molecule."""

from __future__ import annotations

import base64
import io
import json
import struct

import numpy as np
import pytest

import ringlog
from ringlog.errors import LoggingValueError


TRIANGLE = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 2]], dtype=np.float32)


def _gltf_doc(uri=None):
    doc = {"asset": {"version": "2.0"}, "buffers": [{"byteLength": TRIANGLE.nbytes}],
           "bufferViews": [{"buffer": 0, "byteLength": TRIANGLE.nbytes}],
           "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"}],
           "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}]}
    if uri:
        doc["buffers"][0]["uri"] = uri
    return doc


def _glb() -> bytes:
    js = json.dumps(_gltf_doc()).encode()
    js += b" " * (-len(js) % 4)
    body = struct.pack("<II", len(js), 0x4E4F534A) + js + struct.pack("<II", TRIANGLE.nbytes, 0x004E4942) + TRIANGLE.tobytes()
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def test_point_clouds_from_numpy_layouts():
    xyz = ringlog.Object3D(np.arange(12).reshape(4, 3), caption="c")
    fig, kind, data = xyz.record("k")
    tr = fig["data"][0]
    assert kind == "plotly" and tr["type"] == "scatter3d" and tr["x"] == [0.0, 3.0, 6.0, 9.0]
    assert data["object3d"]["points"] == 4 and data["object3d"]["format"] == "numpy"
    cat = ringlog.Object3D(np.array([[0, 0, 0, 1], [1, 1, 1, 2]]))
    assert cat.record("k")[0]["data"][0]["marker"]["color"] == [1.0, 2.0]
    rgb = ringlog.Object3D.from_numpy(np.array([[0, 0, 0, 255, 0, 0]]))
    assert rgb.record("k")[0]["data"][0]["marker"]["color"] == ["rgb(255,0,0)"]
    with pytest.raises(LoggingValueError, match=r"\(N, 3\)"):
        ringlog.Object3D(np.zeros((3, 5)))


def test_point_clouds_from_files(tmp_path):
    obj = tmp_path / "tri.obj"
    obj.write_text("# a triangle\nv 0 0 0\nv 1 0 0\nv 0 1 2\nf 1 2 3\n")
    gltf = tmp_path / "tri.gltf"
    gltf.write_text(json.dumps(_gltf_doc("data:application/octet-stream;base64,"
                                         + base64.b64encode(TRIANGLE.tobytes()).decode())))
    glb = tmp_path / "tri.glb"
    glb.write_bytes(_glb())
    pts = tmp_path / "tri.pts.json"
    pts.write_text(json.dumps(TRIANGLE.tolist()))
    for path, fmt in ((obj, "obj"), (gltf, "gltf"), (glb, "glb"), (pts, "pts.json")):
        o = ringlog.Object3D(str(path))
        assert o.format == fmt and o.cloud["xyz"].tolist() == TRIANGLE.tolist(), fmt
    o = ringlog.Object3D.from_file(io.StringIO(obj.read_text()), file_type="obj")
    assert o.cloud["xyz"].shape == (3, 3)
    stl = tmp_path / "m.stl"
    stl.write_bytes(b"solid x")
    with pytest.raises(LoggingValueError, match="stl files are not supported"):
        ringlog.Object3D(str(stl))


def test_object3d_and_molecule_logged_and_read_back(store_root, fast, tmp_path):
    from ringlog.store import Store

    pdb = tmp_path / "water.pdb"
    pdb.write_text("HETATM    1  O   HOH A   1       0.000   0.000   0.000  1.00  0.00           O\nEND\n")
    run = ringlog.init(project="media", dir=str(store_root), settings=fast)
    ringlog.log({"cloud": ringlog.Object3D(np.random.default_rng(0).normal(size=(50, 3))),
                 "scene": ringlog.Object3D({"type": "lidar/beta", "points": np.zeros((2, 3)),
                                            "boxes": np.array([{"corners": [[0, 0, 0]] * 8, "label": "car"}])}),
                 "mol": ringlog.Molecule(str(pdb), caption="water")})
    run.finish()
    task = Store(store_root).task(run.id)
    plots = {p["title"]: p for p in task.plots()}
    assert plots["cloud"]["figure"]["data"][0]["type"] == "scatter3d" and plots["cloud"]["data"]["object3d"]["points"] == 50
    assert plots["scene"]["data"]["object3d"]["boxes"][0]["label"] == "car"
    (mol,) = task.media_records("mol")
    assert mol.kind == "html" and mol.caption == "water" and mol.extra == {"molecule": {"format": "pdb",
                                                                                         "source": "water.pdb"}}
    page = task.media_file(mol.id).read_text()
    assert "HETATM    1  O   HOH" in page and "no 3-D molecule viewer" in page
    with pytest.raises(NotImplementedError, match="RDKit"):
        ringlog.Molecule.from_smiles("CCO")
    with pytest.raises(LoggingValueError, match="mmtf"):
        (tmp_path / "x.mmtf").write_bytes(b"\x00")
        ringlog.Molecule(str(tmp_path / "x.mmtf"))
