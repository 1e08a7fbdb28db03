"""Stages 4–6 of the build: plan every output, render them (over worker processes at a city's
size, reusing what an earlier build made where the cache allows) and publish the new site.

Imported only by a build that renders (see :func:`build.build`): it brings in Jinja, the theme
and every feature that registers outputs.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from . import opendata, site_pages  # noqa: F401  (register their outputs)
from . import feed  # noqa: F401  (registers /feed.xml)
from . import ids_lock, poster_pages, qr  # noqa: F401  (QR codes, posters, wall sheets; the id lock)
from . import search_index, search_page  # noqa: F401  (/search/ and the Pagefind index)
from . import cache, quick_build
from .build_options import BuildOptions, BuildReport, Checked
from .joined import Joined, Joiner, Layout
from .outputs import FINISHERS, PLANNERS, Output, origin_of, produce
from .problems import CatalogueError, LockNotUpdated, Problems, os_reason
from .publish import Patch, check_out_dir, create_file, patching, staging
from .render_context import RenderContext
from .template_cache import compiled_templates
from .theme import Theme
from .workers import collector_paused, forked_pool, given_up, next_task_size

#: Below this many outputs, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400
#: From this many outputs on, the replaced site is deleted in the background after publishing.
BACKGROUND_CLEANUP = 20_000


def plan(ctx: RenderContext) -> list[Output]:
    """Every output of the site, sorted; two outputs claiming one path is an error."""
    outputs = [output for planner in PLANNERS for output in planner(ctx)]
    paths = list(map(attrgetter("path"), outputs))
    if len(set(paths)) < len(paths):
        claimed: dict[str, Output] = {}
        problems = Problems()
        for output in outputs:
            if output.path in claimed:
                first = claimed[output.path]
                problems.error(Path(output.path), None,
                               f"两个页面要写到同一路径 /{output.path}：{origin_of(ctx, first)} 与 {origin_of(ctx, output)}")
                continue
            claimed[output.path] = output
        raise CatalogueError(problems)
    # Paths are unique, so sorting by path alone gives the same order, much sooner.
    return sorted(outputs, key=attrgetter("path"))


def render_and_publish(options: BuildOptions, checked: Checked, build_cache: cache.BuildCache | None,
                        started: float, timings: dict[str, float],
                        quick: quick_build.QuickPlan | None = None, theme: Theme | None = None) -> BuildReport:
    """Plan, render, index and publish a checked site (with ``quick``, an edit's catalogues only)."""
    problems = checked.problems
    if problems.errors or (options.strict and problems.warnings) or checked.model is None:
        raise CatalogueError(problems)
    protected = [options.catalog] + [p for p in (options.content, options.theme) if p]
    check_out_dir(options.out, protected)
    # What exists now is kept for the whole build: frozen, the workers' collections never walk
    # (and so never copy) the model they inherit.
    gc.freeze()
    if theme is None:     # an edit's quick build: its templates come from the last build's
        theme = theme_for(options, build_cache)
    ctx = RenderContext(checked.model, theme)
    mark = time.perf_counter()
    # Frozen too: the plan lives as long as the build, and the first collection after it would
    # otherwise walk its 300,000 outputs (0.1 s of a city's build, with the other core idle).
    with collector_paused(freeze=True):
        outputs = plan(ctx)
    timings["plan"] = time.perf_counter() - mark
    if build_cache and quick is not None:
        # The other catalogues' records and owner digests are carried over as they are.
        if not build_cache.load_manifest(["", *quick.owners]):
            raise cache.QuickUnavailable("no manifest")
        build_cache.partial_save = True
        build_cache.owners = dict(build_cache.previous.owners)
    elif build_cache:
        build_cache.load_manifest()
    # With the previous --out and its manifest at hand, only changed files are staged and moved
    # in; otherwise a whole new folder is staged and swapped in.
    patch = build_cache is not None and bool(build_cache.manifest)
    background = len(outputs) >= BACKGROUND_CLEANUP
    publisher = patching(options.out, background) if patch else staging(options.out, background)
    if quick is not None:
        ctx.load_catalogue = quick.catalogue_loader(options)
    with publisher as target:
        stage = target.folder if isinstance(target, Patch) else target
        finishers = _Finishers(ctx, stage, [f for f in FINISHERS
                                            if options.search or f.__module__ != search_index.__name__], timings)
        cache.ACTIVE = build_cache
        try:
            mark = time.perf_counter()
            produced = _write_all(ctx, outputs, stage, options, build_cache, checked.digests, patch=patch,
                                  quick=quick is not None, beside=finishers.start)
            timings["render"] = time.perf_counter() - mark
            finishers.join()
        finally:
            finishers.cancel()
            cache.ACTIVE = None
        if isinstance(target, Patch):
            assert build_cache is not None
            target.deletions = sorted(set(build_cache.manifest) - set(build_cache.new_manifest))
            index = search_index.PAGEFIND_DIR.strip("/")
            (target.whole if (stage / index).is_dir() else target.remove).append(index)
    model = checked.model
    new_ids: list[str] = []
    notes: list[str] = []
    if build_cache is not None and build_cache.lost and quick is None:
        lost = build_cache.lost
        notes.append(f"输出目录中有 {len(lost)} 个文件不见了（如 {lost[0]}），已重新生成；"
                     "请不要手工删改输出目录中的文件")
    if options.update_lock and quick is None:
        # Only now, with the new site published: a failed build must not lock ids nobody saw.
        # (A quick build's ids are those of the last build, which locked them.)
        try:
            new_ids = ids_lock.record(options.catalog, model)
        except OSError as exc:
            # Raised before the cache is saved: the next build is not "unchanged" and tries again.
            raise LockNotUpdated(
                f"网站已发布到 {options.out}，但未能更新 {options.catalog / ids_lock.LOCK_NAME}，新事项的网址尚未锁定，"
                f"问题解决后请再构建一次：{os_reason(exc)}") from None
    files = len(outputs)
    items = len(model.items_by_id)
    if quick is not None:
        assert build_cache is not None
        files = build_cache.previous.files - len(build_cache.manifest) + len(build_cache.new_manifest)
        items = sum(s.items for s in model.summaries)
    if build_cache:
        next_check = problems
        if new_ids:
            # The lock just grew: the next check reads it, finds every id locked and so reports
            # none of the lock check's warnings; the fast path must report what it would.
            build_cache.lock_updated(options.catalog)
            next_check = Problems([p for p in problems.items if p not in checked.lock_problems])
        if quick is not None:
            build_cache.quick = quick_build.state_after_quick(quick, model)
        else:
            build_cache.quick = quick_build.state_after_full(options, checked, next_check, build_cache.files)
        try:
            build_cache.save(next_check, files, len(model.summaries), items)
        except OSError as exc:
            # The state, written last, is what makes the rest of the cache count; whatever of it
            # was written goes too, so the next build produces everything again.
            cache.BuildCache.forget_outputs(options.out)
            notes.append(f"网站已发布，但构建缓存未能保存，下次构建将全部重新生成：{os_reason(exc)}")
        else:
            if quick is not None:
                quick_build.forget_old_units(options, quick)
    return BuildReport(options.out, model, problems, files, time.perf_counter() - started, timings,
                       len(model.summaries), items, produced=produced, quick=quick is not None, notes=notes)


def prepare_render(theme: Theme) -> None:
    """Compile the templates and import the QR encoder before the render workers are forked,
    so that they inherit both instead of each making them."""
    theme.compile_all()
    qr.prepare()


def theme_for(options: BuildOptions, build_cache: cache.BuildCache | None) -> Theme:
    """The build's theme; with a cache, its compiled templates kept for the user."""
    theme = Theme(options.theme)
    if build_cache is not None:
        # Compiling the theme's templates costs about 0.25 s: kept compiled for the user, so
        # that neither an edit's build nor a first build of another --out compiles them again.
        theme.env.bytecode_cache = compiled_templates(theme.directories, cache.cache_dir(options.out) / "templates")
    return theme


# --- rendering, sequential or over worker processes ------------------------------------


class _Finishers:
    """The finishers (the search index), run in a thread beside the render workers.

    They read the model, not the rendered pages, so they need not wait for them: Pagefind then
    indexes on one core while the pages are written on the other. The thread starts only once
    the workers are forked (a fork must not copy a lock this thread holds); its error, if any,
    is the build's, raised by :meth:`join`. A failed render stops it (:meth:`cancel`).
    """

    def __init__(self, ctx: RenderContext, stage: Path, finishers: list[Callable[..., None]],
                 timings: dict[str, float]):
        self.ctx, self.stage, self.finishers, self.timings = ctx, stage, finishers, timings
        self.stop = threading.Event()
        #: Set while the render workers run: a finisher holds back memory-hungry work meanwhile.
        self.rendering = threading.Event()
        self.rendering.set()
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        if self.finishers and self.thread is None:
            self.thread = threading.Thread(target=self._run, name="gkml-finishers", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            for finish in self.finishers:
                mark = time.perf_counter()
                finish(self.ctx, self.stage, self.stop, self.rendering)
                self.timings[finish.__name__] = time.perf_counter() - mark
        except BaseException as exc:  # handed to the main thread by join()
            self.error = exc

    def join(self) -> None:
        """Wait for the finishers once the render is done; raise the first error of theirs."""
        self.rendering.clear()
        self.start()
        if self.thread is not None:
            self.thread.join()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        """Stop a run the build gave up on, and wait for it to end (it removes its scratch files)."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

#: One output's record for the cache: (path, fingerprint, digest of its bytes, produced anew?,
#: the layout of a joined file — joined.py —, the catalogue that owns it or "")
Written = tuple[str, bytes, bytes, bool, "Layout | None", str]


@dataclass(slots=True)
class _Made:
    """An output made and not yet written (:meth:`_Writer.prepare`)."""

    target: str
    data: bytes | None            # its bytes; None: a joined file, written already
    record: Written | None        # what the cache records of it (None without a cache)
    reuse: bool = False           # the previous --out's file stays: nothing to write


#: Outputs made before their files are written (see :meth:`_Writer.write_many`).
WRITE_BATCH = 256


@dataclass
class _Writer:
    """Writes outputs into the staging folder, reusing the previous --out's files where it can.

    With the previous --out and its manifest (``patch``), the stage holds the changed files only,
    which are moved in once the build succeeded; a reused file simply stays where it is. New
    bytes always go to a new file (``O_EXCL``): a file of the previous --out is never written
    to, so it stays intact until the new files are published. Without them, every output is
    written into a whole new folder.
    """

    ctx: RenderContext
    stage: str
    manifest: dict[str, tuple[bytes, bytes]]               # the last --out's outputs: path → (fingerprint, digest)
    fingerprints: cache.Fingerprints | None                # None: no cache, just write
    patch: bool = False                                    # stage holds changed files only (see above)
    joiner: Joiner | None = None                           # writes joined files (with a cache)
    made: set[str] = field(default_factory=set)            # folders created by this process

    def write_many(self, outputs: Sequence[Output]) -> list[Written | None]:
        """Write each output, :data:`WRITE_BATCH` at a time: the batch's pages are made, then
        its files written. Every system call leaves the processor's caches and branch predictors
        cold for the Python after it; made between two files, each page paid for that (about
        7 % of a cold build's CPU)."""
        records: list[Written | None] = []
        for start in range(0, len(outputs), WRITE_BATCH):
            batch = outputs[start:start + WRITE_BATCH]
            # Made kind by kind (item pages, then posters, then QR codes …), not in the plan's
            # order, which alternates them item by item: each kind's code and tables stay in
            # the processor's caches for the whole run of it (13 % less CPU for a 10,000-item
            # render in one process, median of five alternated pairs).
            kind_by_kind = sorted(range(len(batch)), key=lambda index: batch[index].producer)
            made = {index: self.prepare(batch[index]) for index in kind_by_kind}
            records.extend(self.commit(made[index]) for index in range(len(batch)))
        return records

    def prepare(self, output: Output) -> _Made:
        """The output's bytes (or the previous --out's file, kept) and its record, with no file
        written yet, except a joined file's (written as it is joined)."""
        target = os.path.join(self.stage, output.path)
        if self.fingerprints is None:
            data = produce(self.ctx, output)
            return _Made(target, data.whole() if isinstance(data, Joined) else data, None)
        owned = cache.OWNED.get(output.producer)
        owner = owned(self.ctx.model, output.key) if owned is not None else ""
        fingerprint = self.fingerprints.of(output)
        old = self.manifest.get(output.path)
        if old is not None and old[0] == fingerprint and self.patch:
            return _Made(target, None,
                         (output.path, fingerprint, old[1], False, self._old_layout(output.path), owner), reuse=True)
        return self._produce(output, target, fingerprint, old, owner)

    def _produce(self, output: Output, target: str, fingerprint: bytes, old: tuple[bytes, bytes] | None,
                 owner: str) -> _Made:
        data = produce(self.ctx, output)
        if isinstance(data, Joined):
            assert self.joiner is not None
            data_digest = self.joiner.digest(output.path, data)
            if old is not None and old[1] == data_digest and self.patch:
                return _Made(target, None,
                             (output.path, fingerprint, data_digest, True, self._old_layout(output.path), owner))
            self._folder(target)
            return _Made(target, None, (output.path, fingerprint, data_digest, True,
                                                self.joiner.write(output.path, data, target), owner))
        data_digest = cache.digest(data)
        # Same bytes from new inputs (an edit elsewhere in the catalogue): keep the old file.
        return _Made(target, data, (output.path, fingerprint, data_digest, True, None, owner),
                     reuse=self.patch and old is not None and old[1] == data_digest)

    def commit(self, made: _Made) -> Written | None:
        """Write a prepared output (unless its file stays or is written already); its record."""
        if made.data is not None and not made.reuse:
            self._create(made.target, made.data)
        return made.record

    def _old_layout(self, path: str) -> Layout | None:
        return self.joiner.layouts.get(path) if self.joiner is not None else None

    def _folder(self, target: str) -> None:
        # A city's build makes 200,000 folders, nearly all one level below one that exists:
        # a bare mkdir, and makedirs only when that fails, saves a stat and Python's path work.
        folder = os.path.dirname(target)
        if folder not in self.made:
            try:
                os.mkdir(folder)
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
            except FileExistsError:
                pass
            self.made.add(folder)

    def _create(self, target: str, data: bytes) -> None:
        self._folder(target)
        create_file(target, data)


_WORKER: _Writer | None = None
#: The outputs the forked workers share: a task names a range of them, not the outputs.
_OUTPUTS: list[Output] = []

#: A range's records as they travel back to the parent: its first index, then the fingerprints
#: and digests joined (16 bytes each), whether each was produced anew, the layouts of joined
#: files by position in the range, and the owners (``None`` throughout without a cache).
Packed = tuple[int, bytes, bytes, bytes, dict[int, "Layout"], list[str]] | tuple[int, None]


def _write_range(task: tuple[int, int]) -> Packed:
    # Only two integers go to the worker and a few strings come back: pickling 300,000 outputs
    # and their records through the pool cost the parent a tenth of the render's CPU.
    assert _WORKER is not None
    start, stop = task
    if given_up():
        return start, None                # the build has failed: the ranges left are skipped
    records = _WORKER.write_many(_OUTPUTS[start:stop])
    if _WORKER.fingerprints is None:      # no cache: nothing to record
        return start, None
    return (start, b"".join(r[1] for r in records), b"".join(r[2] for r in records),
            bytes(r[3] for r in records), {n: r[4] for n, r in enumerate(records) if r[4] is not None},
            [r[5] for r in records])


def _ranges(start: int, stop: int, jobs: int) -> list[tuple[int, int]]:
    """``start``–``stop`` cut into tasks that shrink towards the end: large ones keep the
    parent's share of the work small, and small last ones keep a worker from idling while the
    other finishes a large one (up to 2,000 outputs, a third of a second)."""
    ranges = []
    while start < stop:
        size = next_task_size(stop - start, jobs, 50, 2000)
        ranges.append((start, min(start + size, stop)))
        start += size
    return ranges


class _Records:
    """The cache's records of the outputs written, filed as they come back from the workers
    (``build_cache`` None: nothing is recorded, outputs are only counted)."""

    def __init__(self, build_cache: cache.BuildCache | None):
        self.cache = build_cache
        self.produced = 0

    def add(self, record: Written | None) -> None:
        if record is None or self.cache is None:
            self.produced += 1
            return
        path, fingerprint, data_digest, produced, layout, owner = record
        entry = (fingerprint, data_digest)
        self.cache.new_manifest[path] = entry
        self.cache.new_owners.setdefault(owner, {})[path] = entry
        if layout is not None:
            self.cache.new_layouts[path] = layout
        self.produced += produced

    def add_packed(self, packed: Packed, stop: int) -> None:
        """A worker's range of records (see :data:`Packed`), ``_OUTPUTS[packed[0]:stop]``."""
        start = packed[0]
        if packed[1] is None or self.cache is None:
            self.produced += stop - start
            return
        _, fingerprints, digests, produced, layouts, owners = packed  # type: ignore[misc]
        paths = [output.path for output in _OUTPUTS[start:stop]]
        entries = list(zip(_sixteens(fingerprints), _sixteens(digests)))
        self.cache.new_manifest.update(zip(paths, entries))
        shards = self.cache.new_owners
        for path, entry, owner in zip(paths, entries, owners):
            shard = shards.get(owner)
            if shard is None:
                shard = shards[owner] = {}
            shard[path] = entry
        for n, layout in layouts.items():
            self.cache.new_layouts[paths[n]] = layout
        self.produced += produced.count(1)


def _sixteens(joined: bytes) -> list[bytes]:
    return [joined[n:n + 16] for n in range(0, len(joined), 16)]


def _unchanged_owners(ctx: RenderContext, outputs: list[Output], build_cache: cache.BuildCache,
                      fingerprints: cache.Fingerprints, patch: bool) -> tuple[list[Output], list[Written | None]]:
    """Split off the outputs of catalogues whose every input is as the last build saw it.

    Their records are the previous build's, as they are; only the rest go to the workers. With a
    whole new folder staged (no patch) their files must still be linked, so nothing is split.
    """
    for catalogue in ctx.model.catalogues:
        build_cache.owners[catalogue.id] = fingerprints.owner(catalogue.id)
    if not patch:
        return outputs, []
    unchanged = {c for c, value in build_cache.owners.items() if build_cache.previous_owner(c) == value}
    if not unchanged:
        return outputs, []
    model, manifest = ctx.model, build_cache.manifest
    rest: list[Output] = []
    kept: list[Written | None] = []
    for output in outputs:
        owner = cache.OWNED.get(output.producer)
        old = manifest.get(output.path) if owner is not None else None
        if old is not None and (ident := owner(model, output.key)) in unchanged:
            kept.append((output.path, old[0], old[1], False, None, ident))
        else:
            rest.append(output)
    return rest, kept


def _write_all(ctx: RenderContext, outputs: list[Output], stage: Path, options: BuildOptions,
               build_cache: cache.BuildCache | None = None, digests: dict[str, bytes] | None = None,
               patch: bool = False, quick: bool = False, beside: Callable[[], None] | None = None) -> int:
    """Write every output into ``stage``; returns how many were produced (not reused).
    ``beside`` is called once the work may share the process with another thread (after any fork)."""
    global _WORKER
    fingerprints = None
    if build_cache is not None:
        fingerprints = cache.Fingerprints(ctx, ctx.theme.directories, custom_theme=options.theme is not None,
                                          item_digests=digests)
    previous = str(build_cache.out) if build_cache is not None and build_cache.manifest else None
    joiner = None
    if build_cache is not None and fingerprints is not None:
        joiner = Joiner(fingerprints, previous, build_cache.layouts if previous else {}, must_exist=quick)
    writer = _Writer(ctx, str(stage), build_cache.manifest if build_cache else {}, fingerprints, patch, joiner)
    jobs = options.jobs or os.cpu_count() or 1
    total = len(outputs)
    records = _Records(build_cache)
    kept: list[Written | None] = []
    if build_cache is not None and fingerprints is not None:
        outputs, kept = _unchanged_owners(ctx, outputs, build_cache, fingerprints, patch)
    for record in kept:
        records.add(record)
    if jobs <= 1 or len(outputs) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        if beside is not None:
            beside()
        done = len(kept)
        for start in range(0, len(outputs), WRITE_BATCH):
            batch = outputs[start:start + WRITE_BATCH]
            for record in writer.write_many(batch):
                records.add(record)
            done += len(batch)
            if options.progress:
                options.progress("render", done, total)
    else:
        # Forked workers inherit the model, templates and the previous manifest already in
        # memory; only the small Output records and the cache records cross the boundary.
        global _OUTPUTS
        # Site-wide outputs (catalog.json, the sitemap …) grow with the site: each goes first, in
        # a range of its own, so one worker is not left with all of them at the end.
        whole = [o for o in outputs if o.producer not in cache.DEPENDS]
        _OUTPUTS = whole + [o for o in outputs if o.producer in cache.DEPENDS]
        _WORKER = writer
        ranges = [(n, n + 1) for n in range(len(whole))] + _ranges(len(whole), len(_OUTPUTS), jobs)
        stops = dict(ranges)
        done = len(kept)
        try:
            # A failed render lets the workers end on their own before the pool goes (workers.py).
            with forked_pool(jobs) as pool:
                if beside is not None:
                    beside()
                for packed in pool.imap_unordered(_write_range, ranges):
                    records.add_packed(packed, stops[packed[0]])
                    done += stops[packed[0]] - packed[0]
                    if options.progress:
                        options.progress("render", done, total)
        finally:
            _WORKER = None
            _OUTPUTS = []
    return records.produced
