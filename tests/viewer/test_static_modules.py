"""The viewer's scripts are native ES modules without globals, and one chart drawer serves the task
page, compare and report widgets (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import ringlog.viewer

VIEWER = Path(ringlog.viewer.__file__).parent
STATIC = VIEWER / "static"


def test_every_page_script_is_a_module():
    for tpl in (VIEWER / "templates").glob("*.html"):
        for tag in re.findall(r"<script\b[^>]*\bsrc=[^>]*>", tpl.read_text()):
            if "plotly" in tag:  # the vendored plotly.js bundle is a classic script (window.Plotly)
                continue
            assert 'type="module"' in tag, (tpl.name, tag)


def test_no_script_writes_a_global():
    for js in STATIC.glob("*.js"):
        src = js.read_text()
        assert not re.search(r"window\.\w+\s*=[^=]", src), js.name
        assert not re.search(r"^(const|let|var|function|class)\s", src, re.M) or "export" in src \
            or "import" in src, js.name


def test_one_chart_drawer():
    """Only chart.js builds scalar line traces; widget.js draws through its seriesTraces()."""
    widget = (STATIC / "widget.js").read_text()
    assert 'from "./chart.js"' in widget and "seriesTraces(" in widget
    assert "fill: \"tonexty\"" not in widget and "scattergl" not in widget
    drawers = [js.name for js in STATIC.glob("*.js") if "tonexty" in js.read_text()]
    assert drawers == ["chart.js"]
