"""Markdown from catalogue notes and content pages, made safe to put in a page.

Editors' text is not trusted: raw HTML is switched off in the parser, and the HTML that
comes out is sanitised again with nh3 (an allow-list), so neither ``<script>`` nor a
``javascript:`` link can reach a reader's browser.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

import nh3
from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "table", "thead", "tbody", "tr", "th", "td", "hr",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": set(), "ol": {"start"}}


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _softbreak(self: object, tokens: list, idx: int, options: object, env: object) -> str:
    """A line break inside a paragraph: nothing between two Chinese characters (a browser would
    show a stray space, as CSS Text 3's segment-break rule is not implemented), else a newline."""
    before = next((t.content for t in reversed(tokens[:idx]) if t.content), "")
    after = next((t.content for t in tokens[idx + 1:] if t.content), "")
    return "" if before and after and _wide(before[-1]) and _wide(after[0]) else "\n"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Imported when first needed: an edit's build renders no Markdown unless the edited items
    # have notes, and importing markdown-it costs a tenth of that build's start.
    from markdown_it import MarkdownIt

    # "js-default": CommonMark with raw HTML disabled and linkify off; tables added for notes.
    parser = MarkdownIt("js-default").enable("table")
    parser.add_render_rule("softbreak", _softbreak)
    return parser


@lru_cache(maxsize=1024)
def render_markdown(text: str, *, shift_headings: int = 0) -> Markup:
    """Render ``text`` to sanitised HTML. ``shift_headings`` demotes ``#`` so a page keeps one h1.

    Kept per text: a city's districts publish the same standard catalogues, notes and all.
    """
    html = _parser().render(text)
    if shift_headings:
        for level in range(6 - shift_headings, 0, -1):
            html = html.replace(f"<h{level}>", f"<h{level + shift_headings}>").replace(
                f"</h{level}>", f"</h{level + shift_headings}>")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)
