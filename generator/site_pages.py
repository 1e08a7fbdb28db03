"""The HTML pages of the site: home, catalogue pages, item pages, content pages, 404.

Each page's work depends only on its own item or catalogue, never on the site's size
(no page embeds every other page), so a 100,000-item site costs 100,000 × one page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .markdown_text import render_markdown
from .outputs import Output, item_origin, planner, producer
from .render_context import RenderContext

HOME = ("首页", "")


@planner
def plan_pages(ctx: RenderContext) -> Iterable[Output]:
    model = ctx.model
    yield Output("index.html", "home", origin="首页")
    yield Output("404.html", "not_found", origin="404 页面")
    for catalogue in model.catalogues:
        yield Output(catalogue.path + "index.html", "catalogue", catalogue.id,
                     f"目录 {catalogue.id}（{catalogue.source_path}）")
        for item in catalogue.items:
            yield Output(item.path + "index.html", "item", item.id)
    for page in model.pages:
        yield Output(page.path + "index.html", "content", page.slug, f"页面 {page.slug}（{page.source_path}）")
    for name, path in ctx.theme.static_files():
        yield Output(f"assets/{name}", "asset", name, f"主题文件 {path}")


@producer("home")
def home(ctx: RenderContext, _key: str) -> bytes:
    return ctx.render(["home.html"], "", title=ctx.model.site.title)


@producer("not_found")
def not_found(ctx: RenderContext, _key: str) -> bytes:
    # Served for any missing path, so its links cannot be relative: they start at base_url's path.
    from urllib.parse import urlsplit
    context = ctx.page("", title="页面不存在", nav_path=None)
    context["root"] = urlsplit(ctx.model.site.base_url).path
    return ctx.theme.render(["404.html"], **context).encode("utf-8")


@producer("catalogue")
def catalogue_page(ctx: RenderContext, key: str) -> bytes:
    catalogue = ctx.model.catalogues_by_id[key]
    return ctx.render(
        [f"catalogue-{catalogue.id}.html", f"{catalogue.kind}.html", "catalogue.html"],
        catalogue.path,
        title=f"{catalogue.name}{'领域基层政务公开标准目录' if catalogue.kind == 'domain' else ''}",
        crumbs=(HOME, (catalogue.name, None)),
        catalogue=catalogue,
        description=render_markdown(catalogue.description, shift_headings=1) if catalogue.description else None,
    )


@producer("item", origin=item_origin())
def item_page(ctx: RenderContext, key: str) -> bytes:
    model = ctx.model
    item = model.items_by_id[key]
    catalogue = model.catalogue_of(item)
    return ctx.render(
        [f"item-{catalogue.id}.html", "item.html"],
        item.path,
        title=item.name,
        nav_path=None,
        crumbs=(HOME, (catalogue.name, catalogue.path), (item.name, None)),
        item=item,
        catalogue=catalogue,
        replacement=model.replacement_of(item),
        notes=render_markdown(item.notes, shift_headings=2) if item.notes else None,
    )


@producer("content")
def content_page(ctx: RenderContext, key: str) -> bytes:
    page = ctx.model.pages_by_slug[key]
    return ctx.render(
        [f"page-{page.slug}.html", "page.html"],
        page.path,
        title=page.title,
        crumbs=(HOME, (page.title, None)),
        page=page,
        body=render_markdown(page.body, shift_headings=_sections_to_h2(page.body)),
    )


def _sections_to_h2(body: str) -> int:
    """How far to demote a page's headings so its top sections are h2 under the title's h1,
    whether the author wrote them as ``#`` or ``##`` (screen readers list headings by level)."""
    levels = [len(m.group(1)) for m in re.finditer(r"^(#{1,6})[ \t]", body, re.M)]
    return max(0, 2 - min(levels)) if levels else 0


@producer("asset")
def asset(ctx: RenderContext, key: str) -> bytes:
    for name, path in ctx.theme.static_files():
        if name == key:
            return path.read_bytes()
    raise KeyError(key)
