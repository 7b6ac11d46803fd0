"""The store's public surface is pinned: the viewer and tests depend on exactly these names."""

from __future__ import annotations

import dataclasses

import ringlog.store as store
import ringlog.store.testing as testing

PUBLIC = {
    "Store", "TaskReader", "TaskWriter", "Scalar", "Decimated", "MediaRecord", "STATUSES", "StoreError",
    "TaskNotFoundError", "SeriesNotFoundError", "MediaNotFoundError", "StoreValueError", "StoreTypeError",
    "CorruptStoreError", "TaskClosedError", "default_root",
}


def test_all_is_pinned():
    assert set(store.__all__) == PUBLIC


def test_every_export_resolves():
    for name in store.__all__:
        assert getattr(store, name) is not None, name


def test_results_are_typed_dataclasses():
    for cls in (store.Scalar, store.Decimated, store.MediaRecord):
        assert dataclasses.is_dataclass(cls), cls
    assert "id" in {f.name for f in dataclasses.fields(store.MediaRecord)}


def test_statuses_are_the_writers():
    from ringlog.store.writer import STATUSES

    assert store.STATUSES == STATUSES


def test_testing_kit_exports_resolve():
    for name in testing.__all__:
        assert getattr(testing, name) is not None, name
