"""An edit's quick build: check and re-render only the catalogues whose files changed.

A city's repository holds 3,000 catalogue files and 100,000 items. An editor who fixes one
item changes one file; the full incremental build still gathers every file's checked unit,
runs the rules across files on all of them, plans 300,000 outputs and fingerprints them —
seconds of work that cannot change a byte. The quick build does none of that. From the last
build it keeps (:class:`cache.QuickState`) each catalogue file's digest and unit key, the
facts the rules across files read, and every catalogue's summary (summary.py); then:

1. the edited files are parsed and checked on their own (units.py), exactly as a full build would;
2. if their ids and ``replaced_by`` references are as before, the rules across files and the id
   lock cannot answer differently, so they are not run again;
3. the model holds the edited catalogues (and those linked to them by ``replaced_by``) with
   every catalogue's summary, which is all the site-wide pages read;
4. their outputs and the site-wide ones are planned, rendered, and published as a patch,
   like any incremental build; the other catalogues' records are carried over unread.

Anything else — site.yaml, content, theme or code edited, a file added or removed, ids or
references changed, a problem reported — takes the full build, which gives the same bytes (``tests/test_incremental.py`` compares both with a cold build).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import cache
from .build_options import BuildOptions, Checked
from .content_pages import load_content
from .load import load_site
from .model import Catalogue, SiteModel, site_settings
from .problems import Problems
from .units import Unit, load_kept, read_one
from .validate import FileFacts, site_vocabulary


#: More edited files than this and the full build is as quick (and simpler to trust).
MAX_FILES = 32

Facts = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]


def facts_key(facts: FileFacts) -> Facts:
    """A file's facts without their positions: what the rules across files decide on."""
    return tuple(i for i, _ in facts.ids), tuple((i, target) for i, target, _ in facts.references)


@dataclass
class QuickPlan:
    """What the quick build found: handed to the build's render-and-publish stage."""

    state: cache.QuickState
    #: path → (kind, digest of its bytes, unit key) of each edited file as it is now
    changed: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    #: The published catalogues it re-renders (the edited ones and their replaced_by neighbours).
    owners: list[str] = field(default_factory=list)

    def catalogue_loader(self, options: BuildOptions) -> Callable[[str], Catalogue]:
        """Reads a catalogue the model does not hold from its checked unit of the last build:
        the search index part holding an edited item also holds other catalogues' records."""
        store = cache.cache_dir(options.out) / "units"

        def load(ident: str) -> Catalogue:
            name = self.state.paths.get(ident)
            kept = load_kept(store, self.state.files[name][2]) if name in self.state.files else None
            if kept is None or kept.catalogue is None:
                raise cache.QuickUnavailable(f"the checked unit of {ident} is gone")
            return kept.catalogue
        return load


def prepare(options: BuildOptions, opened: cache.BuildCache) -> tuple[Checked, QuickPlan] | None:
    """The checked edit and its plan, or None when the edit needs the full build."""
    if not opened.out_is_ours or opened.files is None:
        return None
    state = cache.load_pickle(opened.folder / cache.QUICK)
    if not isinstance(state, cache.QuickState):
        return None
    catalog = options.catalog
    current = {name: value for name, value in opened.files.current.items() if cache.is_catalogue_file(catalog, name)}
    if current.keys() != state.files.keys():
        return None
    changed = [name for name, value in current.items() if state.files[name][1] != value]
    if not changed or len(changed) > MAX_FILES:
        return None
    if cache.frame_digest(options, opened.files) != state.frame or cache.lock_digest(catalog) != state.lock:
        return None
    # A warning of the id lock or the rules across files about an edited file may have moved with it.
    if any(str(problem.path) in changed for problem in state.tail):
        return None

    problems = Problems()
    site_doc = load_site(catalog, problems)
    pages = load_content(options.content, problems)
    if problems.items or site_doc is None:
        return None
    vocabulary = site_vocabulary(site_doc.data)
    store = cache.cache_dir(options.out) / "units"
    plan = QuickPlan(state)
    own = dict(state.own)
    units: dict[str, Unit] = {}
    for done, name in enumerate(changed, 1):
        if options.progress is not None:
            options.progress("check", done, len(changed))
        kind = state.files[name][0]
        raw = opened.files.take(name)[0] or Path(name).read_bytes()
        unit, key = read_one(kind, Path(name), raw, vocabulary, store, cache.code_digest())
        if unit.catalogue is None or unit.problems and any(p.severity == "error" for p in unit.problems):
            return None
        if facts_key(unit.facts) != state.facts[name]:
            return None
        units[name] = unit
        plan.changed[name] = (kind, cache.digest(raw), key)
        own[name] = list(unit.problems)
    plan.state = replace(state, own=own)
    problems.items.extend(plan.state.problems())

    published = set(state.paths.values())
    linked = _linked_files(state, units) & published
    for name in sorted(linked - set(units)):
        kept = load_kept(store, state.files[name][2])
        if kept is None or kept.catalogue is None:
            return None
        units[name] = kept
    loaded: dict[str, Catalogue] = {}
    summaries: dict[str, Any] = {}
    digests: dict[str, bytes] = {}
    for name, unit in units.items():
        catalogue = unit.catalogue
        assert catalogue is not None
        if state.paths.get(catalogue.id) != name:
            continue            # a file site.yaml does not publish: checked, nothing to render
        loaded[catalogue.id] = catalogue
        summaries[catalogue.id] = unit.summary
        digests.update(unit.digests)
    site = site_settings(site_doc.data)
    if options.base_url:
        base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
        site = replace(site, base_url=base)
    all_summaries = tuple(summaries.get(s.id, s) for s in state.summaries)
    model = SiteModel(site=site, catalogues=tuple(loaded[s.id] for s in all_summaries if s.id in loaded),
                      pages=pages, summaries=all_summaries)
    plan.owners = [c.id for c in model.catalogues]
    return Checked(problems, model=model, digests=digests), plan


def _linked_files(state: cache.QuickState, units: dict[str, Unit]) -> set[str]:
    """The files whose catalogues must be in the model besides the edited ones.

    Pages name each other's items through ``replaced_by``: a withdrawn item's page names its
    replacement. So the files whose withdrawn items point into an edited file are re-rendered,
    and every file re-rendered needs the files its own withdrawn items point to — and so on,
    for the rare chain of replacements.
    """
    edited = set(units)
    edited_ids = {ident for name in edited for ident in state.facts[name][0]}
    needed = edited | {name for name, (_, references) in state.facts.items()
                       if any(target in edited_ids for _, target in references)}
    holder: dict[str, str] | None = None
    pending = list(needed)
    while pending:
        references = state.facts[pending.pop()][1]
        if not references:
            continue
        if holder is None:     # built only when some file has replacements to find
            holder = {ident: name for name, (ids, _) in state.facts.items() for ident in ids}
        for _, target in references:
            name = holder.get(target)
            if name is not None and name not in needed:
                needed.add(name)
                pending.append(name)
    return needed - edited


def state_after_full(options: BuildOptions, checked: Checked, reported: Problems,
                     files: cache.FileDigests | None) -> cache.QuickState | None:
    """What the next edit's quick build needs of the full build just published; ``reported``:
    the problems a check of its inputs now reports (None: the next build checks everything)."""
    model = checked.model
    if files is None or model is None or checked.files_problems is None or reported.errors:
        return None
    start, stop = checked.files_problems
    own: dict[str, list[Any]] = {}
    for problem in checked.problems.items[start:stop]:
        own.setdefault(str(problem.path), []).append(problem)
    facts = {str(f.path): facts_key(f) for f in checked.facts}
    known: dict[str, tuple[str, bytes, str]] = {}
    for f in checked.facts:
        name = str(f.path)
        value = files.current.get(name)
        key = checked.unit_keys.get(name)
        if value is None or key is None:
            return None
        known[name] = (f.kind, value, key)
    if set(own) - set(known):
        return None
    return cache.QuickState(
        frame=cache.frame_digest(options, files), lock=cache.lock_digest(options.catalog), files=known,
        facts=facts, summaries=model.summaries, paths={c.id: str(c.source_path) for c in model.catalogues},
        head=checked.problems.items[:start], own=own,
        tail=[p for p in checked.problems.items[stop:] if p in reported.items])


def state_after_quick(plan: QuickPlan, model: SiteModel) -> cache.QuickState:
    files = dict(plan.state.files)
    files.update(plan.changed)
    return replace(plan.state, files=files, summaries=model.summaries)


def forget_old_units(options: BuildOptions, plan: QuickPlan) -> None:
    """The edited files' previous units are no file's now (a full build would prune them too)."""
    store = cache.cache_dir(options.out) / "units"
    for name, (_, _, key) in plan.changed.items():
        old = plan.state.files[name][2]
        if old != key:
            (store / f"{old}.pickle").unlink(missing_ok=True)
