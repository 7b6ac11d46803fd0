"""Report Markdown -> safe HTML.

Parsing is markdown-it-py (CommonMark) with tables, strikethrough and task lists
(mdit-py-plugins); raw HTML is parsed too, because reports use ``<details>`` sections and
``<iframe>`` widget embeds. Everything then goes through nh3 (ammonia) with a short allow-list,
so no report can run script in a reader's browser:

* tags: text structure, tables, lists, code, links, images, ``details``/``summary``, and
  ``iframe`` only when its ``src`` is one of our own widget URLs (``/widgets/?...``, relative, no
  other path); every kept iframe gets a fixed ``sandbox`` and ``loading="lazy"``, and ``light=true``
  unless its ``src`` sets ``light`` (widgets follow the report's light theme; they are dark alone);
* no event handlers, no ``style`` except ``text-align`` (table alignment), links and images only
  with http(s)/mailto or relative URLs (``javascript:`` and ``data:`` are dropped);
* task-list checkboxes are forced ``disabled``;
* images from another site (``![x](https://...)``) are replaced by a visible note with the link
  (``rel="noopener noreferrer"``): the pages' CSP loads images from this viewer only, so they would
  show broken, and loading them would tell that site who reads the report and when.

Fenced code is highlighted with Pygments when it is installed (CSS classes only; the stylesheet
is static/reports-pygments.css), otherwise shown as escaped text.

Cost: one parse plus one sanitize pass, linear in the document; ~1 ms for a typical report.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# Widget frames get scripts, popups and top navigation on user action (a click opens the source
# task), but NOT allow-same-origin: they run in an opaque origin, so even a script bug in the widget
# page cannot reach the report page, its DOM or the viewer's cookies. The widget reads its own data
# through a signed query that the guard lets through for Origin: null (guard.py, security.py).
IFRAME_SANDBOX = "allow-scripts allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
_WIDGET_SRC = re.compile(r"^/widgets/(\?[^\s\"'<>\\]*)?$")
# ClearML's text also spells the endpoint /widget/: embed it as /widgets/ (the route redirects too)
_WIDGET_SPELLING = re.compile(r"^/widget/(?=\?|$)")
# a full URL of a viewer on this machine (pasted from the address bar) is kept as the relative path
_LOCAL_WIDGET = re.compile(r"^https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?(/widgets?/.*)$", re.IGNORECASE)
_IMG = re.compile(r"<img\b[^>]*>")
_REMOTE_SRC = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.IGNORECASE)
BLOCKED_FRAME_NOTE = ('<p class="rl-blocked"><em>An embedded frame was removed: reports embed only ringlog '
                      'widgets (src="/widgets/?…").</em></p>')

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "iframe", "img", "input", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "s", "samp", "span", "strike", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "iframe": {"src", "width", "height", "title"},
    "input": {"type", "checked"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "li": {"class"},
    "ul": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "details": {"open"},
}
_CLASS_RE = re.compile(r"^[A-Za-z0-9_\- ]{0,200}$")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "iframe" and attr == "src":
        local = _LOCAL_WIDGET.match(value)
        if local:
            value = local.group(1)
        value = _WIDGET_SPELLING.sub("/widgets/", value)
        return value if _WIDGET_SRC.match(value) else None
    if tag == "input" and attr == "type":
        return value if value == "checkbox" else None
    if attr == "class":
        return value if _CLASS_RE.match(value) else None
    if attr in ("width", "height"):
        return value if re.fullmatch(r"\d{1,5}%?", value) else None
    return value


def _highlight(code: str, lang: str, _attrs) -> str:
    lang = (lang or "").strip().split()[0] if lang else ""
    try:
        lexer = get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    safe_lang = re.sub(r"[^A-Za-z0-9_+-]", "", lang)
    return f'<pre class="highlight"><code class="language-{safe_lang}">{body}</code></pre>\n'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "highlight": _highlight}).enable(["table", "strikethrough"])
    md.use(tasklists_plugin)
    return md


def _report_theme(m: re.Match) -> str:
    query = m.group(2) or ""
    if re.search(r"(?:^\?|&amp;|&)light=", query):
        return m.group(0)
    return m.group(1) + (query + "&amp;" if query else "?") + 'light=true"'


def sanitize(fragment: str, *, lazy_frames: bool = True) -> str:
    """Clean an HTML fragment with the report allow-list (see module docstring).

    ``lazy_frames=False`` loads every widget at once, with its data in the page (``print=1``: print and
    PDF, where nothing scrolls them in and Chromium does not wait for a sandboxed frame's fetch).
    """
    cleaned = nh3.clean(
        fragment,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        set_tag_attribute_values={
            "iframe": {"sandbox": IFRAME_SANDBOX, "loading": "lazy" if lazy_frames else "eager", "frameborder": "0"},
            "input": {"disabled": "disabled"},
        },
        link_rel="noopener noreferrer",
    )
    # widgets follow the report's theme (light) unless their src chooses one (light=...)
    cleaned = re.sub(r'(<iframe[^>]*\ssrc="/widgets/)(\?[^"]*)?"', _report_theme, cleaned)
    if not lazy_frames:  # printed: each widget page carries its data (see widgets.widget_page)
        cleaned = re.sub(r'(<iframe[^>]*\ssrc="/widgets/)(\?[^"]*)?"',
                         lambda m: m.group(1) + (m.group(2) + "&amp;" if m.group(2) else "?") + 'print=1"', cleaned)
    # an iframe whose src was refused would stay as an empty frame: say so instead
    cleaned = re.sub(r"<iframe(?![^>]*\ssrc=)[^>]*>.*?</iframe>", BLOCKED_FRAME_NOTE, cleaned, flags=re.DOTALL)
    return _IMG.sub(_remote_image_note, cleaned)


def _attr(tag: str, name: str) -> str | None:
    m = re.search(r'\s' + name + r'="([^"]*)"', tag)
    return html.unescape(m.group(1)) if m else None


def _remote_image_note(m: re.Match) -> str:
    """An image from another site, which the pages' CSP (``img-src 'self'``) would show broken, as a
    visible note with the link instead. Every value is unescaped then escaped again: the sanitizer
    leaves ``<`` as is inside attribute values, which is safe there but not in text."""
    src = _attr(m.group(0), "src") or ""
    if not _REMOTE_SRC.match(src):
        return m.group(0)
    alt = (_attr(m.group(0), "alt") or "").strip()
    label = f"“{html.escape(alt)}” " if alt else ""
    return (f'<span class="rl-blocked rl-remote-image">Image {label}not shown: reports load images from this viewer '
            f'only (upload it instead). <a href="{html.escape(src, quote=True)}" rel="noopener noreferrer">'
            f'{html.escape(src)}</a></span>')


def render(markdown: str, *, lazy_frames: bool = True) -> str:
    """Markdown text -> sanitized HTML fragment."""
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a string, got {type(markdown).__name__}")
    return sanitize(_parser().render(markdown), lazy_frames=lazy_frames)


def first_heading(markdown: str) -> str | None:
    """Text of the first heading (used for titles and tests); None when the report has none."""
    for token_index, token in enumerate(tokens := _parser().parse(markdown)):
        if token.type == "heading_open" and token_index + 1 < len(tokens):
            return html.unescape(tokens[token_index + 1].content)
    return None
