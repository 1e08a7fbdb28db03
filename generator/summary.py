"""What the site-wide pages need of each catalogue, without its items.

The home page lists every catalogue with its count, the search page offers every subject and
channel in use, the feed shows the newest changes, ``catalog.json`` names every catalogue. At
a city's size that is 3,000 catalogues and 100,000 items; an edit to one of them should not
need the other 99,990 items in memory to redo those pages. So each catalogue file gives, once,
a :class:`CatalogueSummary` (kept with the file's checked unit, see units.py), and the
site-wide producers read summaries only — in a full build and in an edit's quick build alike,
so both give the same bytes by construction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from . import standard_lists as std

if TYPE_CHECKING:
    from .model import Catalogue

#: Feed readers only look at recent entries; the full history stays on the pages and in catalog.json.
FEED_LIMIT = 500


@dataclass(frozen=True)
class ChangeEntry:
    """One (item, change) of the feed, with what its entry shows of the item and catalogue."""

    date: dt.date
    summary: str
    #: 1-based among this item's changes of the same date, so each entry's id is unique.
    index: int
    item_id: str
    item_name: str
    item_path: str
    #: 目录 · 类别 · 一级事项 · 二级事项, as the entry's summary names the item.
    where: str
    catalogue_id: str
    catalogue_name: str


class CatalogueAddress:
    """Where a catalogue (or its summary) is published, from its ``kind`` and ``id``."""

    id: str
    kind: str

    @property
    def path(self) -> str:
        return f"{'domains' if self.kind == 'domain' else 'community'}/{self.id}/"

    @property
    def kind_label(self) -> str:
        return std.CATALOGUE_KIND_LABELS[self.kind]


@dataclass(frozen=True)
class CatalogueSummary(CatalogueAddress):
    id: str
    name: str
    kind: str
    source: str
    updated: dt.date
    items: int
    active_count: int
    #: The catalogue's digest: its header and every item (the incremental build's key for it).
    digest: bytes
    #: Active items' subjects (each body of a 公开主体) with how many items name it, first use first.
    subjects: tuple[tuple[str, int], ...] = ()
    channels: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    #: Its newest changes, newest first (ties in item order), at most :data:`FEED_LIMIT`.
    changes: tuple[ChangeEntry, ...] = ()
    #: Its active items' ids in order: the pages the search index holds.
    active_ids: tuple[str, ...] = ()
    #: What its search records are made of (its id, name and active items): a search index part
    #: holding only unchanged catalogues is kept as it is.
    search_digest: bytes = b""


def header_digest(catalogue: Catalogue) -> bytes:
    """A catalogue without its items: what an item page shows of it."""
    values = tuple(getattr(catalogue, f.name) for f in fields(catalogue) if f.name != "items")
    return digest(repr(values).encode())


def catalogue_digest(catalogue: Catalogue, item_digests: Mapping[str, bytes]) -> bytes:
    return digest(header_digest(catalogue) + b"".join(item_digests[i.id] for i in catalogue.items))


def item_digest(item: object) -> bytes:
    return digest(repr(item).encode())


def digest(data: bytes) -> bytes:
    """The digest of model parts, outputs and files (cache.py keys everything by it).

    SHA-256, cut to 16 bytes: x86 and ARM processors compute it in hardware, twice as fast as
    blake2b over a city's 1.2 GB of output (and its catalogue files)."""
    return hashlib.sha256(data).digest()[:16]


#: Splits 公开主体 such as "区民政局、街道办事处" into the bodies a filter offers one by one.
_SUBJECT_SEPARATORS = re.compile(r"[、，,；;/／\s]+")


def split_subjects(text: str) -> list[str]:
    """The bodies named in a 公开主体, in the order written, each once."""
    return list(dict.fromkeys(p for p in _SUBJECT_SEPARATORS.split(text) if p))


def summarise(catalogue: Catalogue, item_digests: Mapping[str, bytes] | None = None) -> CatalogueSummary:
    digests = item_digests if item_digests is not None else {i.id: item_digest(i) for i in catalogue.items}
    active = [item for item in catalogue.items if not item.withdrawn]
    subjects: dict[str, int] = {}
    for item in active:
        for body in split_subjects(item.subject):
            subjects[body] = subjects.get(body, 0) + 1
    return CatalogueSummary(
        id=catalogue.id, name=catalogue.name, kind=catalogue.kind, source=catalogue.source,
        updated=catalogue.updated, items=len(catalogue.items), active_count=len(active),
        digest=catalogue_digest(catalogue, digests),
        subjects=tuple(subjects.items()),
        channels=_first_seen(ch for item in active for ch in item.channels),
        levels=_first_seen(lv for item in active for lv in item.levels),
        audiences=_first_seen(item.audience for item in active if item.audience),
        modes=_first_seen(item.mode for item in active if item.mode),
        changes=_newest_changes(catalogue),
        active_ids=tuple(item.id for item in active),
        search_digest=digest(repr((catalogue.id, catalogue.name)).encode() + b"".join(digests[i.id] for i in active)),
    )


def _first_seen(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _newest_changes(catalogue: Catalogue) -> tuple[ChangeEntry, ...]:
    entries: list[ChangeEntry] = []
    for item in catalogue.items:
        seen: dict[dt.date, int] = {}
        where = " · ".join(p for p in (catalogue.name, item.group, item.category, item.name) if p)
        for change in item.changes:
            seen[change.date] = seen.get(change.date, 0) + 1
            entries.append(ChangeEntry(change.date, change.summary, seen[change.date], item.id, item.name,
                                       item.path, where, catalogue.id, catalogue.name))
    # sorted() is stable: entries of one date stay in item order. The site's newest
    # FEED_LIMIT entries are among the catalogues' newest FEED_LIMIT each.
    return tuple(sorted(entries, key=lambda e: e.date, reverse=True)[:FEED_LIMIT])


def change_entries(summaries: Iterable[CatalogueSummary]) -> list[ChangeEntry]:
    """The newest (item, change) entries of the published catalogues, newest first; ties keep
    catalogue and item order."""
    entries = [entry for summary in summaries for entry in summary.changes]
    return sorted(entries, key=lambda e: e.date, reverse=True)[:FEED_LIMIT]


def subjects_by_use(summaries: Iterable[CatalogueSummary]) -> list[str]:
    """Subjects most used first, ties in order of first use across the site."""
    counts: dict[str, int] = {}
    for summary in summaries:
        for body, count in summary.subjects:
            counts[body] = counts.get(body, 0) + count
    order = {body: n for n, body in enumerate(counts)}
    return sorted(counts, key=lambda body: (-counts[body], order[body]))
