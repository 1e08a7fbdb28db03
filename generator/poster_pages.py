"""Print sheets for notice boards (公开栏): one A4 poster per item, and wall sheets.

* ``/items/<id>/poster/`` — one item on one A4 page: name, 一级事项, 公开主体, 公开时限,
  公开渠道, a large QR code, the URL to type by hand, publisher and 修订时间. Withdrawn
  items keep theirs, saying so: the old sheet may still hang on a wall somewhere.
* ``/posters/<catalogue-id>/`` — every active item of one catalogue, name and QR code,
  :data:`PER_SHEET` to an A4 page. The pages are cut here, not by the browser, so a
  card is never split across two sheets and each sheet can hang on its own.

Both are ordinary site pages (they extend ``base.html``) that look like paper on screen
and print as paper; ``gkml posters`` turns them into PDF (:mod:`poster_pdf`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Catalogue, Item
from .outputs import Output, item_origin, planner, producer
from .render_context import RenderContext

#: Cards per A4 wall sheet: two columns of four, each QR code 3.7 cm wide.
PER_SHEET = 8


def poster_path(item: Item) -> str:
    return item.path + "poster/"


def wall_sheet_path(catalogue: Catalogue) -> str:
    return f"posters/{catalogue.id}/"


@dataclass(frozen=True)
class Card:
    number: int       # the item's 序号 in the catalogue's table
    item: Item


def sheets(catalogue: Catalogue) -> list[list[Card]]:
    """Active items in table order (grouped by 一级事项), numbered as the table numbers them."""
    cards = [Card(n, item) for n, item in enumerate(
        (item for category in catalogue.categories for item in category.items), 1)]
    return [cards[i:i + PER_SHEET] for i in range(0, len(cards), PER_SHEET)]


def revised(item: Item, catalogue: Catalogue) -> dt.date:
    """The item's 修订时间: its newest change or withdrawal, or its catalogue's revision if later."""
    dates = [change.date for change in item.changes] + [catalogue.updated]
    if item.withdrawal:
        dates.append(item.withdrawal.on)
    return max(dates)


@planner
def plan_posters(ctx: RenderContext) -> Iterable[Output]:
    for catalogue in ctx.model.catalogues:
        yield Output(wall_sheet_path(catalogue) + "index.html", "wall_sheet", catalogue.id,
                     f"目录 {catalogue.id} 的上墙版（{catalogue.source_path}）")
        for item in catalogue.items:
            yield Output(poster_path(item) + "index.html", "poster", item.id)


@producer("poster", origin=item_origin(" 的张贴版"))
def poster(ctx: RenderContext, key: str) -> bytes:
    model = ctx.model
    item = model.items_by_id[key]
    catalogue = model.catalogue_of(item)
    replacement = model.replacement_of(item)
    return ctx.render(
        [f"poster-{catalogue.id}.html", "poster.html"],
        poster_path(item),
        title=f"{item.name}（打印张贴版）",
        nav_path=None,
        crumbs=(("首页", ""), (catalogue.name, catalogue.path), (item.name, item.path), ("打印张贴版", None)),
        item=item,
        catalogue=catalogue,
        replacement=replacement,
        url=model.site.absolute(item.path),
        # A print variant of the item page: search engines should list the item page itself.
        canonical=model.site.absolute(item.path),
        replacement_url=model.site.absolute(replacement.path) if replacement else None,
        revised=revised(item, catalogue),
    )


@producer("wall_sheet")
def wall_sheet(ctx: RenderContext, key: str) -> bytes:
    catalogue = ctx.model.catalogues_by_id[key]
    return ctx.render(
        [f"wall_sheet-{catalogue.id}.html", "wall_sheet.html"],
        wall_sheet_path(catalogue),
        title=f"{catalogue.name}（上墙张贴版）",
        crumbs=(("首页", ""), (catalogue.name, catalogue.path), ("上墙张贴版", None)),
        catalogue=catalogue,
        sheets=sheets(catalogue),
        per_sheet=PER_SHEET,
        catalogue_url=ctx.model.site.absolute(catalogue.path),
        canonical=ctx.model.site.absolute(catalogue.path),
    )
