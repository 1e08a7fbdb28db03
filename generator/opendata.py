"""Open data: the whole catalogue as ``catalog.json`` (with its JSON Schema) and
``catalog.csv``, plus ``sitemap.xml``. Every URL in them is absolute, from ``base_url``.

Each file is joined from per-catalogue pieces around a head made from the catalogues'
summaries (joined.py): a catalogue's items are read only to make its piece anew.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
from collections.abc import Iterable
from typing import Any

from .joined import Joined, Piece
from .model import Item, SiteModel
from .outputs import Output, planner, producer
from .render_context import RenderContext
from .summary import CatalogueSummary

CSV_COLUMNS = (
    "目录", "目录标识", "类别", "一级事项", "二级事项", "公开内容（要素）", "公开依据", "公开时限", "公开主体",
    "公开渠道和载体", "公开对象", "公开方式", "公开层级", "状态", "事项标识", "网址", "二维码",
)


@planner
def plan_open_data(ctx: RenderContext) -> Iterable[Output]:
    yield Output("catalog.json", "catalog_json", origin="开放数据 catalog.json")
    yield Output("catalog.schema.json", "catalog_schema", origin="开放数据的 JSON Schema")
    yield Output("catalog.csv", "catalog_csv", origin="开放数据 catalog.csv")
    yield Output("sitemap.xml", "sitemap", origin="站点地图")
    yield Output("robots.txt", "robots", origin="robots.txt")


def item_record(model: SiteModel, item: Item) -> dict[str, Any]:
    site = model.site
    record: dict[str, Any] = {
        "id": item.id,
        "catalogue": item.catalogue_id,
        "url": site.absolute(item.path),
        "qr": site.absolute(item.path + "qr.svg"),
        "group": item.group,
        "category": item.category,
        "name": item.name,
        "content": list(item.content),
        "basis": [{"title": b.title, "kind": b.kind, "number": b.number, "articles": b.articles} for b in item.basis],
        "timing": item.timing,
        "subject": item.subject,
        "channels": list(item.channels),
        "audience": item.audience,
        "audience_group": item.audience_group,
        "mode": item.mode,
        "levels": list(item.levels),
        "keywords": list(item.keywords),
        "notes": item.notes,
        "status": "withdrawn" if item.withdrawal else "active",
        "changes": [{"date": c.date.isoformat(), "summary": c.summary} for c in item.changes],
    }
    if item.withdrawal:
        record["withdrawn_on"] = item.withdrawal.on.isoformat()
        record["reason"] = item.withdrawal.reason
        record["replaced_by"] = item.withdrawal.replaced_by
    return record


def catalogue_record(model: SiteModel, catalogue: CatalogueSummary) -> dict[str, Any]:
    return {
        "id": catalogue.id,
        "name": catalogue.name,
        "kind": catalogue.kind,
        "source": catalogue.source,
        "updated": catalogue.updated.isoformat(),
        "url": model.site.absolute(catalogue.path),
        "items": catalogue.items,
    }


@producer("catalog_json")
def catalog_json(ctx: RenderContext, _key: str) -> Joined:
    """The site's fields a line each, then its catalogues and its items, each on a line of its
    own, joined from per-catalogue pieces. A record per line keeps the file readable and a diff
    of two releases record by record, and lets the standard library's C encoder write the
    100 MB of a city's items (its indenting encoder is pure Python, several times slower)."""
    model = ctx.model
    site = model.site
    fields = {
        "$schema": site.absolute("catalog.schema.json"),
        "title": site.title,
        "publisher": site.publisher,
        "base_url": site.base_url,
        "updated": model.updated.isoformat() if model.updated else None,
    }
    head = "{\n" + "".join(f" {_LINE(key)}: {_LINE(value)},\n" for key, value in fields.items())
    head += ' "catalogues": ' + _records([_LINE(catalogue_record(model, c)) for c in model.summaries]) + ",\n"
    with_items = [c for c in model.summaries if c.items]
    if not with_items:
        return Joined(((head + ' "items": []\n}\n').encode("utf-8"),))
    segments: list[bytes | Piece] = [(head + ' "items": [\n').encode("utf-8")]
    for n, catalogue in enumerate(with_items):
        if n:
            segments.append(b",\n")
        segments.append(Piece(catalogue.id, functools.partial(_json_items, model, catalogue.id)))
    segments.append(b"\n ]\n}\n")
    return Joined(tuple(segments))


def _records(lines: list[str]) -> str:
    return "[\n" + ",\n".join("  " + line for line in lines) + "\n ]" if lines else "[]"


#: One record per line (JSON strings escape line breaks, so a record never spans two). Records
#: are fresh dicts and lists, never circular: not tracking every container saves an eighth of
#: the encoding (a city's catalog.json is 100,000 records).
_LINE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), check_circular=False).encode


def _json_items(model: SiteModel, ident: str) -> str:
    """A catalogue's items as they stand in catalog.json's "items" list: a line each."""
    catalogue = model.catalogues_by_id[ident]
    return ",\n".join("  " + _LINE(item_record(model, item)) for item in catalogue.items)


@producer("catalog_schema")
def catalog_schema(ctx: RenderContext, _key: str) -> bytes:
    from .schema import open_data_schema
    return (json.dumps(open_data_schema(ctx.model.site.absolute("catalog.schema.json")),
                       ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@producer("catalog_csv")
def catalog_csv(ctx: RenderContext, _key: str) -> Joined:
    model = ctx.model
    buffer = io.StringIO()
    csv.writer(buffer).writerow(CSV_COLUMNS)
    # The BOM is what makes Excel on Windows read the file as UTF-8 instead of GBK.
    head = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return Joined((head, *(Piece(c.id, functools.partial(_csv_rows, model, c.id)) for c in model.summaries)))


def _csv_rows(model: SiteModel, ident: str) -> str:
    catalogue = model.catalogues_by_id[ident]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for item in catalogue.items:
        writer.writerow([
            catalogue.name, catalogue.id, item.group or "", item.category, item.name,
            "；".join(item.content),
            "；".join(_basis_text(b) for b in item.basis),
            item.timing, item.subject, "、".join(item.channels),
            item.audience_group and f"{item.audience}（{item.audience_group}）" or item.audience or "",
            item.mode or "", "、".join(item.levels),
            "已撤销" if item.withdrawal else "有效",
            item.id, model.site.absolute(item.path), model.site.absolute(item.path + "qr.svg"),
        ])
    return buffer.getvalue()


def _basis_text(basis: Any) -> str:
    text = f"《{basis.title}》"
    if basis.number:
        text += f"（{basis.number}）"
    if basis.articles:
        text += basis.articles
    return text


@producer("sitemap")
def sitemap(ctx: RenderContext, _key: str) -> Joined:
    model = ctx.model
    head = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
            _url(model, "", model.updated.isoformat() if model.updated else None)]
    tail = [_url(model, page.path, None) for page in model.pages]
    tail += [_url(model, path, None) for path in ctx.extras.get("sitemap_extra", ())]
    tail.append("</urlset>")
    segments: list[bytes | Piece] = [("\n".join(head) + "\n").encode("utf-8")]
    for catalogue in model.summaries:
        segments += [Piece(catalogue.id, functools.partial(_catalogue_urls, model, catalogue.id)), b"\n"]
    segments.append(("\n".join(tail) + "\n").encode("utf-8"))
    return Joined(tuple(segments))


def _catalogue_urls(model: SiteModel, ident: str) -> str:
    catalogue = model.catalogues_by_id[ident]
    lines = [_url(model, catalogue.path, catalogue.updated.isoformat())]
    for item in catalogue.items:
        newest = max([c.date for c in item.changes] + [catalogue.updated])
        lines.append(_url(model, item.path, newest.isoformat()))
    return "\n".join(lines)


def _url(model: SiteModel, path: str, lastmod: str | None) -> str:
    lastmod_xml = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"  <url><loc>{html.escape(model.site.absolute(path), quote=False)}</loc>{lastmod_xml}</url>"


@producer("robots")
def robots(ctx: RenderContext, _key: str) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {ctx.model.site.absolute('sitemap.xml')}\n".encode()
