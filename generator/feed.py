"""``/feed.xml``: an Atom feed of the catalogue's changes, one entry per (item, change).

Everything comes from the data — the items' ``changes`` and the catalogues' ``updated`` —
never from the clock, so two builds of the same data give the same bytes. A change has a
date but no time; entries are stamped at midnight China Standard Time.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from .model import SiteModel
from .outputs import Output, planner, producer
from .render_context import RenderContext
from .summary import ChangeEntry, change_entries

#: Chinese catalogues date their revisions in Beijing time.
TIMEZONE = "+08:00"

# XML 1.0 forbids most control characters; a stray one pasted from Word must not break the feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _stamp(date: dt.date) -> str:
    return f"{date.isoformat()}T00:00:00{TIMEZONE}"


# html.escape, not xml.sax.saxutils: that module imports urllib.request, http.client and ssl
# (≈ 15 ms of every gkml start) for what is, for text and attributes, the same escaping.
def _text(value: str) -> str:
    return html.escape(_XML_INVALID.sub("", value), quote=False)


def _attr(value: str) -> str:
    """An attribute value with its double quotes."""
    return f'"{html.escape(_XML_INVALID.sub("", value))}"'


def entry_id(model: SiteModel, entry: ChangeEntry) -> str:
    """A tag: URI (RFC 4151) that stays the same however often the site is rebuilt."""
    parts = urlsplit(model.site.base_url)
    return f"tag:{parts.hostname},{entry.date.isoformat()}:{parts.path}{entry.item_path}changes/{entry.index}"


def render_feed(model: SiteModel) -> str:
    site = model.site
    # Each catalogue's summary keeps its newest entries: the feed never needs the items themselves.
    entries = change_entries(model.summaries)
    newest = entries[0].date if entries else model.updated
    feed_url = site.absolute("feed.xml")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"  <title>{_text(site.title)}：修订记录</title>",
        f"  <subtitle>{_text(site.title)}各目录公开事项的新增和修订</subtitle>",
        f"  <id>{_text(feed_url)}</id>",
        f"  <link rel=\"self\" type=\"application/atom+xml\" href={_attr(feed_url)}/>",
        f"  <link rel=\"alternate\" type=\"text/html\" href={_attr(site.base_url)}/>",
        f"  <updated>{_stamp(newest) if newest else _stamp(dt.date(1970, 1, 1))}</updated>",
        f"  <author><name>{_text(site.publisher)}</name></author>",
    ]
    for entry in entries:
        url = site.absolute(entry.item_path)
        lines += [
            "  <entry>",
            f"    <title>{_text(entry.item_name)}：{_text(entry.summary)}</title>",
            f"    <id>{_text(entry_id(model, entry))}</id>",
            f"    <link rel=\"alternate\" type=\"text/html\" href={_attr(url)}/>",
            f"    <updated>{_stamp(entry.date)}</updated>",
            f"    <category term={_attr(entry.catalogue_id)} label={_attr(entry.catalogue_name)}/>",
            f"    <summary>{_text(entry.where)}：{_text(entry.summary)}</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


@planner
def plan_feed(ctx: RenderContext) -> Iterable[Output]:
    yield Output("feed.xml", "feed", origin="修订记录订阅 feed.xml")


@producer("feed")
def feed(ctx: RenderContext, _key: str) -> bytes:
    return render_feed(ctx.model).encode("utf-8")
