"""Fixtures for the reports area: an app over a fresh store root, and a client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from ringlog.viewer import create_app


def make_app(root: Path, store=None) -> Flask:
    """The viewer app over ``root``, or over an open :class:`ringlog.store.Store` ``store``."""
    app = create_app(root, config={"RINGLOG_STORE": store} if store is not None else None)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(store_root):
    return make_app(store_root)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_factory(store_root):
    """make_app over ``store_root``, or over a given Store."""
    def factory(store=None):
        return make_app(store_root, store)
    return factory
