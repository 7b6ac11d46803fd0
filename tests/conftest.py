"""Shared fixtures. Each test gets its own store root under pytest's tmp_path."""

from __future__ import annotations

import pytest


@pytest.fixture
def store_root(tmp_path):
    """A fresh, empty store root folder."""
    root = tmp_path / "store"
    return root
