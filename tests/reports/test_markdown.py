"""Report Markdown rendering: every feature of the quick guide, and nothing that runs script."""

from __future__ import annotations

import re

import pytest

from ringlog.viewer.markdown import IFRAME_SANDBOX, first_heading, render


def test_quick_guide_features_render():
    out = render(
        "# H1\n\n###### H6\n\n**b** __b2__ *i* _i2_ ~~gone~~ `code`\n\n> quote\n>> nested\n\n"
        "1. one\n1. two\n\n+ a\n  - sub\n* [x] checked\n* [ ] open\n\n"
        "| | R | L | C |\n|---|--:|:--|:-:|\n|1|2|3|4|\n\n"
        "```python\nimport os\n```\n\n    indented code\n\n"
        '[t](https://example.org "The title") ![alt](/api/reports/x/assets/a.png "img title")\n\n'
        "<details><summary>More</summary>Hidden text</details>\n\n---\n"
    )
    for needle in ("<h1>H1</h1>", "<h6>H6</h6>", "<strong>b</strong>", "<strong>b2</strong>", "<em>i</em>",
                   "<s>gone</s>", "<code>code</code>", "<blockquote>", "<ol>", "<ul", 'style="text-align:right"',
                   'style="text-align:center"', '<code class="language-python">', "indented code",
                   'title="The title"', 'href="https://example.org"', '<img src="/api/reports/x/assets/a.png"',
                   'title="img title"', "<details><summary>More</summary>Hidden text</details>", "<hr>"):
        assert needle in out, needle
    assert out.count('type="checkbox"') == 2 and out.count(" disabled=\"disabled\"") == 2 and 'checked="checked"' in out
    assert '<span class="kn">import</span>' in out  # pygments tokens


def test_script_onerror_and_javascript_links_render_inert():
    out = render(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n"
        '<a href="JaVaScRiPt:alert(4)" onclick="alert(5)">x</a> <svg onload=alert(6)></svg>'
        '<div style="background:url(javascript:alert(7))">d</div><iframe srcdoc="<script>alert(8)</script>">'
        '</iframe><object data="x"></object><form action="/api"><input name=a></form>'
        '<img src="data:image/svg+xml,<svg onload=alert(9)>">'
    )
    lowered = out.lower()
    for bad in ("<script", "onerror", "onclick", "onload", 'href="javascript', "srcdoc", "<svg", "<object",
                "<form", "style=\"background", "data:image"):
        assert bad not in lowered, (bad, out)
    assert re.search(r"<a[^>]*>x</a>", out)  # the link text stays, inert


@pytest.mark.parametrize("src, kept", [
    ("/widgets/?type=scalar&objects=abc", True),
    ("/widgets/", True),
    ("https://evil.example/widgets/?type=scalar", False),
    ("//evil.example/widgets/?x", False),
    ("/widgets/../api/reports", False),
    ("/api/reports", False),
    ("javascript:alert(1)", False),
    ("http://127.0.0.1:8080/widgets/?type=scalar&objects=abc", True),  # pasted from the address bar
    ("http://localhost/widgets/../api", False),
])
def test_only_widget_iframes_survive_and_are_sandboxed(src, kept):
    out = render(f'<iframe src="{src}" width="100%" height="400" onload="alert(1)"></iframe>')
    assert ("<iframe" in out) == kept, out
    assert ("An embedded frame was removed" in out) != kept
    if kept:
        assert 'src="/widgets/' in out
        assert f'sandbox="{IFRAME_SANDBOX}"' in out and "onload" not in out
        assert 'height="400"' in out


def test_first_heading_and_type_check():
    assert first_heading("intro\n\n## Results &amp; more\n\n# Later") == "Results & more"
    assert first_heading("no heading") is None
    with pytest.raises(TypeError, match="markdown must be a string"):
        render(None)


def test_frames_are_lazy_on_screen_and_eager_for_print():
    src = '<iframe src="/widgets/?type=scalar&objects=a"></iframe>'
    assert 'loading="lazy"' in render(src)
    assert 'loading="eager"' in render(src, lazy_frames=False)
