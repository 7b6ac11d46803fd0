"""Fixtures for the reports area: an app over a fresh store root, and a client.

The viewer's ``create_app`` is used when it imports (it registers the reports and widgets
blueprints); until then, a minimal Flask app registering only those blueprints stands in, so the
reports area can be tested on its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask


def make_app(root: Path, store=None) -> Flask:
    try:
        from ringlog.viewer.app import create_app
    except ImportError:
        create_app = None
    if create_app is not None:
        try:
            return create_app(root, config={"RINGLOG_STORE": store} if store is not None else None)
        except ImportError:
            pass
    from ringlog.viewer import reports, widgets

    app = Flask("ringlog.viewer", static_folder=str(Path(reports.__file__).parent / "static"),
                template_folder=str(Path(reports.__file__).parent / "templates"))
    app.config.update(RINGLOG_ROOT=Path(root), RINGLOG_STORE=store)
    app.jinja_env.autoescape = True
    app.register_blueprint(reports.bp)
    app.register_blueprint(widgets.bp)
    try:
        from ringlog.viewer import static_assets

        app.register_blueprint(static_assets.bp)
    except ImportError:
        pass
    return app


@pytest.fixture
def app(store_root):
    app = make_app(store_root)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def _load_fakes():
    """tests/reports/fakestore.py, loaded by path (pytest runs with --import-mode=importlib)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ringlog_reports_fakestore", Path(__file__).with_name("fakestore.py"))
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fakes():
    """Module with FakeStore / FakeTask (the Store contract over in-memory data)."""
    return _load_fakes()


@pytest.fixture
def app_factory(store_root):
    """make_app over ``store_root`` with an optional Store-like object."""
    def factory(store=None):
        app = make_app(store_root, store)
        app.config["TESTING"] = True
        return app
    return factory
