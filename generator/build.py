"""The build pipeline: load → validate → model → plan → render → index → publish.

Nothing is written before all data is loaded and valid, so every page sees the same
data and a bad file never produces half a site.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import opendata, site_pages  # noqa: F401  (register their outputs)
from . import feed  # noqa: F401  (registers /feed.xml)
from . import ids_lock, poster_pages, qr  # noqa: F401  (QR codes, posters, wall sheets; the id lock)
from . import search_index, search_page  # noqa: F401  (/search/ and the Pagefind index)
from .content_pages import load_content
from .load import Sources, load_sources
from .model import SiteModel, build_model
from .outputs import FINISHERS, PLANNERS, Output, produce
from .problems import CatalogueError, Problems, UsageError
from .publish import check_out_dir, staging
from .render_context import RenderContext
from .theme import Theme
from .validate import validate_sources

#: Below this many outputs, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400


@dataclass
class BuildOptions:
    catalog: Path = Path("catalog")
    content: Path | None = Path("content")
    theme: Path | None = None
    out: Path = Path("build")
    base_url: str | None = None
    jobs: int = 0                      # 0: one per core
    strict: bool = False               # warnings fail the build too
    progress: Callable[[str, int, int], None] | None = None
    #: Add the ids just published to catalog/ids.lock (the `gkml build` command does; library callers opt in).
    update_lock: bool = False


@dataclass
class Checked:
    """The result of load + validate + model: what `validate` reports and `build` renders."""

    sources: Sources
    problems: Problems
    model: SiteModel | None = None


@dataclass
class BuildReport:
    out: Path
    model: SiteModel
    problems: Problems
    files: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


#: Checks that need the model (and may add problems), e.g. the id lock; run before writing.
MODEL_CHECKS: list[Callable[[Checked, BuildOptions], None]] = []
MODEL_CHECKS.append(ids_lock.check_lock)


def check(options: BuildOptions) -> Checked:
    """Load, validate and model the catalogue; every problem is collected, none raised."""
    problems = Problems()
    if not options.catalog.is_dir():
        raise UsageError(f"找不到目录数据文件夹 {options.catalog}：请用 --catalog 指定，或在仓库根目录运行")
    sources = load_sources(options.catalog, problems)
    validate_sources(sources, problems)
    pages = load_content(options.content, problems)
    checked = Checked(sources, problems)
    if not problems.errors:
        checked.model = build_model(sources, pages)
        if options.base_url:
            base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
            checked.model.site = replace(checked.model.site, base_url=base)
        for model_check in MODEL_CHECKS:
            model_check(checked, options)
    return checked


def plan(ctx: RenderContext) -> list[Output]:
    """Every output of the site, sorted; two outputs claiming one path is an error."""
    claimed: dict[str, Output] = {}
    problems = Problems()
    for planner in PLANNERS:
        for output in planner(ctx):
            if output.path in claimed:
                first = claimed[output.path]
                problems.error(Path(output.path), None,
                               f"两个页面要写到同一路径 /{output.path}：{first.origin} 与 {output.origin}")
                continue
            claimed[output.path] = output
    if problems:
        raise CatalogueError(problems)
    return sorted(claimed.values())


def build(options: BuildOptions) -> BuildReport:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    checked = check(options)
    timings["load+validate"] = time.perf_counter() - started
    problems = checked.problems
    if problems.errors or (options.strict and problems.warnings) or checked.model is None:
        raise CatalogueError(problems)
    protected = [options.catalog] + [p for p in (options.content, options.theme) if p]
    check_out_dir(options.out, protected)
    ctx = RenderContext(checked.model, Theme(options.theme))
    outputs = plan(ctx)
    with staging(options.out) as stage:
        mark = time.perf_counter()
        _write_all(ctx, outputs, stage, options)
        timings["render"] = time.perf_counter() - mark
        for finish in FINISHERS:
            mark = time.perf_counter()
            finish(ctx, stage)
            timings[finish.__name__] = time.perf_counter() - mark
    if options.update_lock:
        # Only now, with the new site published: a failed build must not lock ids nobody saw.
        ids_lock.record(options.catalog, checked.model)
    return BuildReport(options.out, checked.model, problems, len(outputs), time.perf_counter() - started, timings)


# --- rendering, sequential or over worker processes ------------------------------------

_WORKER: tuple[RenderContext, Path] | None = None


def _write_one(ctx: RenderContext, stage: Path, output: Output) -> None:
    target = stage / output.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(produce(ctx, output))


def _write_chunk(chunk: list[Output]) -> int:
    assert _WORKER is not None
    ctx, stage = _WORKER
    for output in chunk:
        _write_one(ctx, stage, output)
    return len(chunk)


def _write_all(ctx: RenderContext, outputs: list[Output], stage: Path, options: BuildOptions) -> None:
    global _WORKER
    jobs = options.jobs or os.cpu_count() or 1
    total = len(outputs)
    if jobs <= 1 or total < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        for done, output in enumerate(outputs, 1):
            _write_one(ctx, stage, output)
            if options.progress and done % 200 == 0:
                options.progress("render", done, total)
        return
    # Forked workers inherit the model and templates already in memory; only the small
    # Output records cross the process boundary.
    _WORKER = (ctx, stage)
    size = max(50, total // (jobs * 8))
    chunks = [outputs[i:i + size] for i in range(0, total, size)]
    done = 0
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for count in pool.imap_unordered(_write_chunk, chunks):
                done += count
                if options.progress:
                    options.progress("render", done, total)
    finally:
        _WORKER = None
