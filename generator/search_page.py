"""The ``/search/`` page: a form whose filters are real controls, filled from the model.

The options of every filter are rendered here, not fetched by the script, so the form is
complete and deterministic before any index loads; the script (``assets/search.js``) only runs
the query against the Pagefind index the ``search_index`` finisher writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from . import cache, search_index
from .model import SiteModel
from .outputs import Output, planner, producer
from .render_context import RenderContext
from .summary import digest, subjects_by_use

PATH = "search/"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    group: str = ""     # an <optgroup> label; "" for none
    #: For a catalogue on a site whose index is split: the index parts holding its items
    #: ("2" or "2 3", the first part is 1), so a search within it loads only those.
    parts: str = ""


@dataclass(frozen=True)
class Filter:
    """One filter control: ``key`` is both the Pagefind filter name and the URL parameter."""

    key: str
    label: str
    options: tuple[Option, ...]

    @property
    def groups(self) -> list[tuple[str, list[Option]]]:
        """Options under their <optgroup> labels, in option order ("" for ungrouped)."""
        grouped: dict[str, list[Option]] = {}
        for option in self.options:
            grouped.setdefault(option.group, []).append(option)
        return list(grouped.items())


def _audience_order(value: str) -> tuple[int, str]:
    standard = ("全社会", "特定群体")
    return (standard.index(value) if value in standard else len(standard), value)


def filters(model: SiteModel, plan: list[list[tuple[str, int, int]]]) -> list[Filter]:
    """The filters of the search page; a filter no active item uses is left out.

    Read from the catalogues' summaries, not their items: an edit's quick build has only
    the edited catalogues' items at hand, and the page must come out the same. ``plan``: the
    search index's parts (search_index.part_plan), which each catalogue option names."""
    summaries = [s for s in model.summaries if s.active_count]
    holding: dict[str, list[str]] = {}
    if len(plan) > 1:
        for number, part in enumerate(plan, 1):
            for ident, _, _ in part:
                holding.setdefault(ident, []).append(str(number))
    catalogue_options = tuple(Option(s.id, s.name, s.kind_label, " ".join(holding.get(s.id, ()))) for s in summaries)
    channels_used = {ch for s in summaries for ch in s.channels}
    known = [ch for ch in model.site.channels if ch in channels_used]
    channels = known + sorted(channels_used - set(known))
    levels_used = {lv for s in summaries for lv in s.levels}
    levels = [lv for lv in model.site.levels if lv in levels_used] + sorted(levels_used - set(model.site.levels))
    audiences = list(dict.fromkeys(a for s in summaries for a in s.audiences))
    modes = list(dict.fromkeys(m for s in summaries for m in s.modes))
    result = [
        Filter("catalogue", "目录", catalogue_options),
        Filter("subject", "公开主体", tuple(Option(s, s) for s in subjects_by_use(summaries))),
        Filter("channel", "公开渠道", tuple(Option(ch, ch) for ch in channels)),
        Filter("audience", "公开对象", tuple(Option(a, a) for a in sorted(audiences, key=_audience_order))),
        Filter("mode", "公开方式", tuple(Option(m, f"{m}公开") for m in sorted(modes, key=lambda m: m != "主动"))),
        Filter("level", "公开层级", tuple(Option(lv, lv) for lv in levels)),
    ]
    return [f for f in result if f.options]


def _depends(fp: cache.Fingerprints, _key: str) -> list[cache.Digest]:
    """The search page shows each catalogue's card, and the filters and index parts, all
    from the catalogues' summaries: an edit of an item's text leaves it alone."""
    plan = search_index.part_plan(fp.model)
    return [fp.cards(), digest(repr((filters(fp.model, plan), len(plan))).encode())]


cache.DEPENDS["search_page"] = _depends


@planner
def plan_search_page(ctx: RenderContext) -> Iterable[Output]:
    yield Output(PATH + "index.html", "search_page", origin="搜索页")


@producer("search_page")
def search_page(ctx: RenderContext, _key: str) -> bytes:
    plan = search_index.part_plan(ctx.model)
    parts = search_index.part_dirs(len(plan))
    return ctx.render(
        ["search.html"],
        PATH,
        title="搜索公开事项",
        crumbs=(("首页", ""), ("搜索", None)),
        filters=filters(ctx.model, plan),
        pagefind_dir=search_index.PAGEFIND_DIR + "/",
        # The parts after the first, relative to the main bundle: merged in the browser.
        index_parts=json.dumps(parts[1:]),
    )
