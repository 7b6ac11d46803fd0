"""The wheel ships every package of the source tree.

pyproject.toml lists its packages by hand (the design card's top-level folders map onto one import
name through package-dir), so a new subpackage left off that list is importable from the editable
install the tests use but missing from the wheel users install: ``ringlog.artifacts`` was, and
``import ringlog; ringlog.Artifact`` failed only after ``pip install ringlog``.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _source_packages(package_dir: dict[str, str]) -> set[str]:
    found = set()
    for name, folder in package_dir.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            if "__pycache__" in rel.parts:
                continue
            found.add(".".join((name, *rel.parts)) if rel.parts else name)
    # a top-level folder mapped on its own (ringlog.core = core/) is not also a subpackage of sdk/
    return found


def test_every_source_package_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    in_tree = _source_packages(config["package-dir"])
    assert in_tree - listed == set(), f"packages missing from pyproject.toml [tool.setuptools] packages: {sorted(in_tree - listed)}"
    assert listed - in_tree == set(), f"pyproject.toml lists packages with no folder: {sorted(listed - in_tree)}"
