"""The build pipeline: load → validate → model → plan → render → index → publish.

This module loads, validates and models the catalogue (:func:`check`) and runs the whole
pipeline (:func:`build`); planning, rendering and publishing are :mod:`render_stage`'s, and
what the stages share (options, what was checked, the report) is in :mod:`build_options`.
Nothing is written before all data is loaded and valid, so every page sees the same
data and a bad file never produces half a site.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from . import cache, ids_lock, quick_build
from .build_options import BuildOptions, BuildReport, Checked
from .content_pages import load_content
from .load import load_site
from .model import assemble_model
from .problems import CatalogueError, Problems, UsageError
from .publish import recover
from .theme_paths import theme_directories
from .units import read_units
from .validate import check_across_files, check_site, site_vocabulary
from .workers import collector_paused

if TYPE_CHECKING:
    from .theme import Theme

__all__ = ["BuildOptions", "BuildReport", "Checked", "MODEL_CHECKS", "build", "check"]


#: Checks that need the model (and may add problems), e.g. the id lock; run before writing.
MODEL_CHECKS: list[Callable[[Checked, BuildOptions], None]] = []


def _check_lock(checked: Checked, options: BuildOptions) -> None:
    start = len(checked.problems.items)
    ids_lock.check_lock(checked, options)
    checked.lock_problems = checked.problems.items[start:]


MODEL_CHECKS.append(_check_lock)


def check(options: BuildOptions, store: Path | None = None, files: cache.FileDigests | None = None,
          beside: Callable[[], None] | None = None) -> Checked:
    """Load, validate and model the catalogue; every problem is collected, none raised.

    ``store``: where each catalogue file's checked result is kept between builds (units.py);
    ``files``: the build cache's digests of the input files, read once (see units.read_units);
    ``beside``: called once the loading workers are forked (what it makes, they do not inherit),
    or before the files are read here when there are too few for workers.
    """
    problems = Problems()
    if not options.catalog.is_dir():
        raise UsageError(f"找不到目录数据文件夹 {options.catalog}：请用 --catalog 指定，或在仓库根目录运行")
    site_doc = load_site(options.catalog, problems)
    check_site(site_doc, problems)
    head = len(problems.items)
    vocabulary = site_vocabulary(site_doc.data if site_doc else None)
    unit_keys: dict[str, str] = {}
    units = read_units(options.catalog, vocabulary, problems, store, options.jobs, cache.code_digest(),
                       options.progress, unit_keys, files, beside)
    unit_problems = len(problems.items) == head
    for unit in units:
        problems.items.extend(unit.problems)
    facts = [unit.facts for unit in units if unit.readable]
    unreadable = {(unit.facts.kind, unit.facts.stem) for unit in units if not unit.readable}
    check_across_files(facts, unreadable, site_doc, problems)
    pages = load_content(options.content, problems)
    checked = Checked(problems, facts=facts, unit_keys=unit_keys)
    # Where the files' own problems sit among the rest (an edit's quick build replaces some).
    if unit_problems:
        checked.files_problems = (head, head + sum(len(unit.problems) for unit in units))
    if not problems.errors:
        assert site_doc is not None
        models = {(unit.facts.kind, unit.facts.stem): unit.catalogue for unit in units}
        summaries = {id(unit.catalogue): unit.summary for unit in units if unit.catalogue is not None}
        checked.model = assemble_model(site_doc.data, lambda kind, ident: models.get((kind, ident)), pages,
                                       lambda catalogue: summaries[id(catalogue)])
        checked.digests = {ident: value for unit in units for ident, value in unit.digests.items()}
        if options.base_url:
            base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
            checked.model.site = replace(checked.model.site, base_url=base)
        for model_check in MODEL_CHECKS:
            model_check(checked, options)
    return checked


def build(options: BuildOptions) -> BuildReport:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if recover(options.out):
        # A build was killed while moving its files in; they are in now, but its cache was never
        # saved: trust nothing of it.
        cache.BuildCache.forget_outputs(options.out)
    report, opened = _unchanged(options, started)
    if report is not None:
        return report
    if opened is not None:
        # An edit to a few catalogue files: check and re-render only their catalogues.
        quick = quick_build.prepare(options, opened)
        if quick is not None:
            timings["load+validate"] = time.perf_counter() - started
            try:
                return _render_stage().render_and_publish(options, quick[0], opened, started, timings, quick[1])
            except cache.QuickUnavailable:
                # Its patch was discarded and --out is as it was; the cache it began to fill is not reused.
                opened = cache.BuildCache(options.out, opened.inputs, opened.partial, opened.files, options.search)
    # What renders (Jinja, the theme's compiled templates, the QR encoder: ≈ 0.1 s of imports and
    # loading) is made ready once the loading workers are forked, which do not need it, and
    # before this process takes their results: the render workers forked later inherit it.
    theme: Theme | None = None

    def prepare() -> None:
        nonlocal theme
        stage = _render_stage()
        theme = stage.theme_for(options, opened)
        stage.prepare_render(theme)

    # With the cache on, catalogue files checked by an earlier build are not read again.
    with collector_paused(freeze=True):
        if opened is None:
            checked = check(options, beside=prepare)
        else:
            checked = check(options, cache.cache_dir(options.out) / "units", opened.files, prepare)
            opened.files.contents.clear()     # theme and content files: read, not needed again
        if theme is None:                     # every file's unit was kept: nothing was read
            prepare()
    if opened is not None:
        opened.lost_outputs()     # a full build puts back what was removed from --out
    timings["load+validate"] = time.perf_counter() - started
    return _render_stage().render_and_publish(options, checked, opened, started, timings, theme=theme)


def _render_stage() -> ModuleType:
    """:mod:`render_stage`, imported when first needed: ``gkml validate`` never needs it."""
    from . import render_stage
    return render_stage


def _unchanged(options: BuildOptions, started: float) -> tuple[BuildReport | None, cache.BuildCache | None]:
    """The no-change fast path: (report, None) when the last build of --out still stands, else
    (None, the cache of --out, opened, for the build to go on with)."""
    if not options.cache:
        return None, None
    previous = cache.BuildCache.open(options, theme_directories(options.theme))
    if not previous.unchanged() or previous.lost_outputs():
        return None, previous
    state = previous.previous
    if options.strict and state.problems.warnings:
        raise CatalogueError(state.problems)
    return BuildReport(options.out, None, state.problems, state.files, time.perf_counter() - started,
                       {"unchanged": time.perf_counter() - started}, state.catalogues, state.items,
                       unchanged=True), None
