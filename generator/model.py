"""Stage 3 — model: the typed objects every later stage uses.

Built only from data that passed validation, so the constructors here can trust types.
Templates see these objects, never raw YAML dicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import standard_lists as std
from .doc_numbers import normalise_number
from .load import Sources
from .summary import CatalogueAddress, CatalogueSummary, summarise
from .validate import site_vocabulary


@dataclass(frozen=True)
class Basis:
    title: str
    kind: str
    number: str | None = None
    articles: str | None = None


@dataclass(frozen=True)
class Change:
    date: dt.date
    summary: str


@dataclass(frozen=True)
class Withdrawal:
    on: dt.date
    reason: str
    replaced_by: str | None = None


@dataclass(frozen=True)
class Item:
    id: str
    catalogue_id: str
    category: str
    name: str
    content: tuple[str, ...]
    basis: tuple[Basis, ...]
    timing: str
    subject: str
    channels: tuple[str, ...]
    group: str | None = None
    audience: str | None = None
    audience_group: str | None = None
    mode: str | None = None
    levels: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    notes: str | None = None
    changes: tuple[Change, ...] = ()
    withdrawal: Withdrawal | None = None
    #: Where the item is written: for messages and the "edit this" link.
    source_path: Path = Path()
    source_line: int = 0

    @property
    def withdrawn(self) -> bool:
        return self.withdrawal is not None

    @property
    def path(self) -> str:
        """The item's permanent URL path below ``base_url``: printed QR codes depend on it."""
        return f"items/{self.id}/"


@dataclass(frozen=True)
class Category:
    """一级事项 with its items, in the order the catalogue lists them."""

    name: str
    items: tuple[Item, ...]
    group: str | None = None


@dataclass(frozen=True)
class Catalogue(CatalogueAddress):
    id: str
    name: str
    kind: str
    source: str
    updated: dt.date
    items: tuple[Item, ...]
    description: str | None = None
    source_path: Path = Path()

    @property
    def active_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if not i.withdrawn)

    @property
    def active_count(self) -> int:
        return sum(1 for i in self.items if not i.withdrawn)

    @property
    def withdrawn_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.withdrawn)

    @property
    def categories(self) -> tuple[Category, ...]:
        """Active items grouped by 一级事项 (and 类别 for community lists), first appearance first.

        Published catalogues print 一级事项 as a merged cell over consecutive rows; an item
        listed later under the same 一级事项 joins the first group rather than opening a second.
        """
        groups: dict[tuple[str | None, str], list[Item]] = {}
        for item in self.active_items:
            groups.setdefault((item.group, item.category), []).append(item)
        return tuple(Category(name, tuple(items), group) for (group, name), items in groups.items())

    @property
    def uses_levels(self) -> bool:
        return any(i.levels for i in self.items)


@dataclass(frozen=True)
class Site:
    title: str
    base_url: str
    publisher: str
    contact: str
    region: str | None
    levels: tuple[str, ...]
    channels: tuple[str, ...]
    local_channels: tuple[str, ...]

    def absolute(self, path: str) -> str:
        """The absolute URL of a site path such as ``items/x/``; QR codes and open data use it."""
        return self.base_url + path


@dataclass(frozen=True)
class ContentPage:
    slug: str
    title: str
    body: str
    order: int = 100
    source_path: Path = Path()

    @property
    def path(self) -> str:
        return f"{self.slug}/"


@dataclass
class SiteModel:
    """The site: its settings, its catalogues and content pages.

    ``summaries`` (every published catalogue, in site.yaml's order) is what the site-wide pages
    read. ``catalogues`` is normally every published catalogue too; an edit's quick build
    (quick_build.py) holds only the catalogues it re-renders, with every summary.
    """

    site: Site
    catalogues: tuple[Catalogue, ...]
    pages: tuple[ContentPage, ...] = ()
    summaries: tuple[CatalogueSummary, ...] = ()
    items_by_id: dict[str, Item] = field(default_factory=dict)
    catalogues_by_id: dict[str, Catalogue] = field(default_factory=dict)
    summaries_by_id: dict[str, CatalogueSummary] = field(default_factory=dict)
    #: Content pages by slug: a template asks whether one exists (the poster names 扫码帮助) on
    #: each of 100,000 pages, which ``selectattr`` over ``pages`` made a quarter of a poster's cost.
    pages_by_slug: dict[str, ContentPage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.catalogues_by_id = {c.id: c for c in self.catalogues}
        self.pages_by_slug = {p.slug: p for p in self.pages}
        self.items_by_id = {i.id: i for c in self.catalogues for i in c.items}
        if not self.summaries and self.catalogues:
            self.summaries = tuple(summarise(c) for c in self.catalogues)
        self.summaries_by_id = {s.id: s for s in self.summaries}

    def catalogue_of(self, item: Item) -> Catalogue:
        return self.catalogues_by_id[item.catalogue_id]

    def replacement_of(self, item: Item) -> Item | None:
        """The published item a withdrawn item points readers to, if any."""
        if item.withdrawal and item.withdrawal.replaced_by:
            return self.items_by_id.get(item.withdrawal.replaced_by)
        return None

    @property
    def domains(self) -> tuple[CatalogueSummary, ...]:
        return tuple(c for c in self.summaries if c.kind == "domain")

    @property
    def community(self) -> tuple[CatalogueSummary, ...]:
        return tuple(c for c in self.summaries if c.kind == "community")

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for c in self.catalogues for i in c.items)

    @property
    def updated(self) -> dt.date | None:
        """The newest 修订时间 of any published catalogue: the site's own date, never the clock."""
        return max((c.updated for c in self.summaries), default=None)


def build_model(sources: Sources, pages: tuple[ContentPage, ...] = ()) -> SiteModel:
    """Turn validated sources into the model; only enabled catalogues are published."""
    assert sources.site is not None
    by_id = {doc.path.stem: (kind, doc) for kind, doc in sources.catalogues}

    def parsed(kind: str, ident: str) -> Catalogue | None:
        found = by_id.get(ident)
        return catalogue_from(found[1]) if found and found[0] == kind else None

    return assemble_model(sources.site.data, parsed, pages)


def assemble_model(raw_site: dict[str, Any], catalogue: Callable[[str, str], Catalogue | None],
                   pages: tuple[ContentPage, ...] = (),
                   summary: Callable[[Catalogue], CatalogueSummary] | None = None) -> SiteModel:
    """The model of a valid site.yaml and its enabled catalogues, in site.yaml's order.

    ``catalogue(kind, id)`` gives a catalogue's model (None: no such file); the build asks
    its per-file cache (units.py), other commands the parsed files; ``summary(catalogue)``
    gives its summary when one was already made (units.py), else it is made here.
    """
    site = site_settings(raw_site)
    catalogues = [found for kind, ident in enabled_catalogues(raw_site)
                  if (found := catalogue(kind, ident)) is not None]
    summaries = tuple(summary(c) if summary else summarise(c) for c in catalogues)
    return SiteModel(site=site, catalogues=tuple(catalogues), pages=pages, summaries=summaries)


def site_settings(raw_site: dict[str, Any]) -> Site:
    """The settings of a valid site.yaml."""
    vocab = site_vocabulary(raw_site)
    base_url = raw_site["base_url"].strip()
    return Site(
        title=raw_site["title"],
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        publisher=raw_site["publisher"],
        contact=str(raw_site["contact"]).strip(),
        region=raw_site.get("region"),
        levels=vocab.levels,
        channels=vocab.channels,
        local_channels=tuple(c for c in vocab.channels if c not in std.STANDARD_CHANNELS),
    )


def enabled_catalogues(raw_site: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, id) of every catalogue site.yaml publishes, in its order."""
    return [("domain", i) for i in raw_site.get("domains") or []] + \
           [("community", i) for i in raw_site.get("community") or []]


def all_catalogues(sources: Sources) -> tuple[Catalogue, ...]:
    """Every catalogue file, enabled or not (for export and the id lock)."""
    return tuple(catalogue_from(doc) for _, doc in sources.catalogues)


def catalogue_from(doc: Any) -> Catalogue:
    """The model of one catalogue file that passed its own checks."""
    data: dict[str, Any] = doc.data
    lines = [where.line for where in doc.each_at(("items",))]   # every item's at once, not one lookup each
    items = tuple(_item(raw, data["id"], doc.path, line)
                  for raw, line in zip(data["items"], lines, strict=True))
    return Catalogue(
        id=data["id"], name=data["name"], kind=data["kind"], source=data["source"], updated=data["updated"],
        items=items, description=data.get("description"), source_path=doc.path,
    )


def _item(raw: dict[str, Any], catalogue_id: str, source_path: Path, source_line: int) -> Item:
    withdrawal = None
    if raw.get("status") == "withdrawn":
        withdrawal = Withdrawal(raw["withdrawn_on"], raw["reason"], raw.get("replaced_by"))
    return Item(
        id=raw["id"],
        catalogue_id=catalogue_id,
        group=raw.get("group"),
        category=raw["category"].strip(),
        name=raw["name"].strip(),
        content=tuple(str(c).strip() for c in raw["content"]),
        basis=tuple(
            Basis(b["title"].strip(), b["kind"],
                  normalise_number(b["number"]) if b.get("number") else None, b.get("articles"))
            for b in raw["basis"]
        ),
        timing=raw["timing"].strip(),
        subject=raw["subject"].strip(),
        channels=tuple(raw["channels"]),
        audience=raw.get("audience"),
        audience_group=raw.get("audience_group"),
        mode=raw.get("mode"),
        levels=tuple(raw.get("levels") or ()),
        keywords=tuple(raw.get("keywords") or ()),
        notes=raw.get("notes"),
        changes=tuple(sorted((Change(c["date"], c["summary"]) for c in raw.get("changes") or ()),
                             key=lambda c: c.date, reverse=True)),
        withdrawal=withdrawal,
        source_path=source_path,
        source_line=source_line,
    )
