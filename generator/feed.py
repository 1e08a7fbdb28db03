"""``/feed.xml``: an Atom feed of the catalogue's changes, one entry per (item, change).

Everything comes from the data — the items' ``changes`` and the catalogues' ``updated`` —
never from the clock, so two builds of the same data give the same bytes. A change has a
date but no time; entries are stamped at midnight China Standard Time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from .model import Catalogue, Item, SiteModel
from .outputs import Output, planner, producer
from .render_context import RenderContext

#: Feed readers only look at recent entries; the full history stays on the pages and in catalog.json.
FEED_LIMIT = 500
#: Chinese catalogues date their revisions in Beijing time.
TIMEZONE = "+08:00"

# XML 1.0 forbids most control characters; a stray one pasted from Word must not break the feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class ChangeEntry:
    date: dt.date
    item: Item
    catalogue: Catalogue
    summary: str
    #: 1-based among this item's changes of the same date, so each entry's id is unique.
    index: int


def change_entries(model: SiteModel) -> list[ChangeEntry]:
    """Every (item, change) of the published catalogues, newest first; ties keep file order."""
    entries: list[ChangeEntry] = []
    for catalogue in model.catalogues:
        for item in catalogue.items:
            seen: dict[dt.date, int] = {}
            for change in item.changes:
                seen[change.date] = seen.get(change.date, 0) + 1
                entries.append(ChangeEntry(change.date, item, catalogue, change.summary, seen[change.date]))
    # sorted() is stable: entries of one date stay in catalogue and item order.
    return sorted(entries, key=lambda e: e.date, reverse=True)


def _stamp(date: dt.date) -> str:
    return f"{date.isoformat()}T00:00:00{TIMEZONE}"


def _text(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


def entry_id(model: SiteModel, entry: ChangeEntry) -> str:
    """A tag: URI (RFC 4151) that stays the same however often the site is rebuilt."""
    parts = urlsplit(model.site.base_url)
    return f"tag:{parts.hostname},{entry.date.isoformat()}:{parts.path}{entry.item.path}changes/{entry.index}"


def render_feed(model: SiteModel) -> str:
    site = model.site
    entries = change_entries(model)
    newest = entries[0].date if entries else model.updated
    feed_url = site.absolute("feed.xml")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"  <title>{_text(site.title)}：修订记录</title>",
        f"  <subtitle>{_text(site.title)}各目录公开事项的新增和修订</subtitle>",
        f"  <id>{_text(feed_url)}</id>",
        f"  <link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(feed_url)}/>",
        f"  <link rel=\"alternate\" type=\"text/html\" href={quoteattr(site.base_url)}/>",
        f"  <updated>{_stamp(newest) if newest else _stamp(dt.date(1970, 1, 1))}</updated>",
        f"  <author><name>{_text(site.publisher)}</name></author>",
    ]
    for entry in entries[:FEED_LIMIT]:
        item, catalogue = entry.item, entry.catalogue
        url = site.absolute(item.path)
        where = " · ".join(p for p in (catalogue.name, item.group, item.category, item.name) if p)
        lines += [
            "  <entry>",
            f"    <title>{_text(item.name)}：{_text(entry.summary)}</title>",
            f"    <id>{_text(entry_id(model, entry))}</id>",
            f"    <link rel=\"alternate\" type=\"text/html\" href={quoteattr(url)}/>",
            f"    <updated>{_stamp(entry.date)}</updated>",
            f"    <category term={quoteattr(catalogue.id)} label={quoteattr(catalogue.name)}/>",
            f"    <summary>{_text(where)}：{_text(entry.summary)}</summary>",
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
