"""Where media code may live: each conversion in one pure module, every record through one writer.

Scans the SDK's source (ast, not grep, so comments and docstrings do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

SDK = Path(__file__).resolve().parents[2] / "sdk"
CONVERSIONS = {"media/convert.py", "media/figures.py"}
WRITER = "media/writer.py"
# writes records with no run behind it (an offline import into a store TaskWriter)
OFFLINE = {"capture/tb_import.py"}
PENDING: set = set()  # files still writing around the writer (none)


ROOMS = ("media", "capture", "wandb", "clearml")  # the engine has no media; demo.py plays a user making data


def _files():
    for room in ROOMS:
        for p in sorted((SDK / room).rglob("*.py")):
            yield p.relative_to(SDK).as_posix(), ast.parse(p.read_text(encoding="utf-8"))


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            yield f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None, node


def test_conversions_live_in_the_conversion_modules():
    """No second PNG/JPEG/GIF encoder, figure render, histogram, WAV writer or tensor reader."""
    found = []
    for rel, tree in _files():
        if rel in CONVERSIONS:
            continue
        for name, node in _calls(tree):
            if name in ("savefig", "fromarray", "histogram") and isinstance(node.func, ast.Attribute) and \
                    ast.unparse(node.func.value) in ("np", "numpy", "PILImage", "Image", "fig", "figure"):
                found.append(f"{rel}:{node.lineno} {ast.unparse(node.func)}")
            if name == "open" and isinstance(node.func, ast.Attribute) and ast.unparse(node.func.value) == "wave":
                found.append(f"{rel}:{node.lineno} wave.open")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in ("to_numpy", "to_uint8", "png_bytes", "wav_bytes",
                                                                   "histogram_figure", "image_grid"):
                found.append(f"{rel}:{node.lineno} def {node.name}")
    assert found == [], "conversions outside ringlog.media.convert/figures:\n" + "\n".join(found)


def test_records_go_through_the_one_writer():
    """Only writer.py appends sample/plot records; nothing else asks a run for its media writer."""
    found = []
    for rel, tree in _files():
        if rel == WRITER or rel in OFFLINE | PENDING:
            continue
        for name, node in _calls(tree):
            if name in ("media_writer", "add_media", "add_plot", "prepare_media", "commit_media"):
                found.append(f"{rel}:{node.lineno} {ast.unparse(node.func)}")
    assert found == [], "records written around ringlog.media.writer:\n" + "\n".join(found)


def test_the_scanner_sees_a_violation(tmp_path):
    """The checks above can fail: the same scan over a file that encodes a PNG itself."""
    tree = ast.parse("import numpy as np\ndef f(run, fig):\n    fig.savefig('x')\n    run.media_writer()\n")
    names = [n for n, _ in _calls(tree)]
    assert "savefig" in names and "media_writer" in names
