"""Stages 1–3 one catalogue file at a time: parse, check on its own, model.

A city's repository holds thousands of catalogue files and an editor's commit touches one.
What a file gives — its problems, its catalogue model, the few facts the rules across files
need and a digest of each item — depends only on its path and bytes, the site's vocabulary
(site.yaml's channels and levels) and gkml's code. So with a cache folder the build keeps each
file's result under that key (``.gkml-cache/<out>/units/``) and does not parse, check or
model an unchanged file again; the files that must be read are read over forked workers
when there are many (a city's cold build parses 3,000 files).

The rules across files (unique ids, ``replaced_by``, enabled catalogues) then run on the facts
alone, and the model is assembled from the files' catalogues (:func:`model.assemble_model`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .cache import FileDigests, load_pickle
from .load import catalogue_files
from .model import Catalogue, catalogue_from
from .problems import Position, Problem, Problems, os_reason
from .publish import write_atomically
from .summary import CatalogueSummary, digest, item_digest, summarise
from .validate import FileFacts, Vocabulary, check_catalogue, facts_of
from .workers import forked_pool, given_up, next_task_size
from .yaml_source import YamlSourceError, parse

#: Below this many files to read, starting worker processes costs more than it saves.
PARALLEL_FILES = 64


@dataclass
class Unit:
    """One catalogue file, read and checked on its own."""

    facts: FileFacts
    problems: list[Problem] = field(default_factory=list)
    #: Its model; None when the file has errors of its own (then no model is built at all).
    catalogue: Catalogue | None = None
    #: item id → digest of the item's model: what incremental builds fingerprint pages by.
    digests: dict[str, bytes] = field(default_factory=dict)
    readable: bool = True
    #: What the site-wide pages need of its catalogue (summary.py); None without a model.
    summary: CatalogueSummary | None = None


def read_unit(kind: str, path: Path, raw: bytes, vocab: Vocabulary) -> Unit:
    problems = Problems()
    try:
        doc = parse(path, raw)
    except YamlSourceError as exc:
        problems.error(path, exc.position, exc.message)
        return Unit(FileFacts(kind, path), problems.items, readable=False)
    check_catalogue(kind, doc, vocab, problems)
    unit = Unit(facts_of(kind, doc), problems.items)
    if not problems.errors:
        unit.catalogue = catalogue_from(doc)
        unit.digests = {item.id: item_digest(item) for item in unit.catalogue.items}
        unit.summary = summarise(unit.catalogue, unit.digests)
    return unit


@dataclass
class _Pending:
    kind: str
    path: Path
    raw: bytes
    key: str


def unit_key(code: bytes, vocab: Vocabulary, kind: str, path: Path, file_digest: bytes) -> str:
    """What a file's unit is kept under: it depends on nothing else (``file_digest``: the
    :func:`digest` of its bytes)."""
    return digest(code + repr(vocab).encode() + f"\0{kind}\0{path}\0".encode() + file_digest).hex()


def read_one(kind: str, path: Path, raw: bytes, vocab: Vocabulary, store: Path, code: bytes) -> tuple[Unit, str]:
    """One file's unit (kept, or read now and kept) and its key: an edit's quick build."""
    key = unit_key(code, vocab, kind, path, digest(raw))
    kept = _kept(store, key, path)
    return (kept if kept is not None else _read(_Pending(kind, path, raw, key), vocab, store)[0]), key


def _kept(store: Path, key: str, path: Path) -> Unit | None:
    kept = load_kept(store, key)
    return kept if kept is not None and kept.facts.path == path else None


def load_kept(store: Path, key: str) -> Unit | None:
    kept = load_pickle(store / f"{key}.pickle")
    return kept if isinstance(kept, Unit) else None


def read_units(root: Path, vocab: Vocabulary, problems: Problems, store: Path | None = None,
               jobs: int = 0, code: bytes = b"",
               progress: Callable[[str, int, int], None] | None = None,
               keys: dict[str, str] | None = None, files: FileDigests | None = None,
               beside: Callable[[], None] | None = None) -> list[Unit]:
    """Every catalogue file's unit, in file order; ``store``: the folder of kept units.

    Problems of unreadable files are added to ``problems``; each unit keeps its own.
    ``progress("check", done, total)`` is told of each file that had to be read.
    ``keys``, if given, receives each file's unit key by path. ``files``: the build cache's
    digests of its input files; a file it read is not read again, and one it knows unchanged
    (by its ``stat``) is not read at all when its unit is kept. ``beside`` is called once the
    workers are forked, before their results are taken (or before the files are read here),
    for work of this process that they need not inherit.
    """
    units: list[Unit | None] = []
    pending: list[tuple[int, _Pending]] = []
    used: set[str] = set()

    def keep_key(key: str) -> None:
        used.add(key)
        if keys is not None:
            keys[str(path)] = key

    for kind, path in catalogue_files(root, problems):
        raw, file_digest = files.take(path) if files is not None else (None, None)
        if raw is None and file_digest is not None and store is not None:
            # Unchanged since the last build, by its stat: its kept unit is taken unread.
            key = unit_key(code, vocab, kind, path, file_digest)
            kept = _kept(store, key, path)
            if kept is not None:
                keep_key(key)
                units.append(kept)
                continue
        if raw is None:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                problems.error(path, Position(), f"无法读取文件：{os_reason(exc)}")
                units.append(Unit(FileFacts(kind, path), readable=False))
                continue
            # Keyed by the bytes read, not by a digest recorded earlier (the file may have been
            # saved since): a unit is never kept under bytes it was not made from.
            file_digest = None
        key = unit_key(code, vocab, kind, path, file_digest if file_digest is not None else digest(raw))
        keep_key(key)
        kept = _kept(store, key, path) if store is not None else None
        if kept is not None:
            units.append(kept)
            continue
        units.append(None)
        pending.append((len(units) - 1, _Pending(kind, path, raw, key)))
    jobs_list = [job for _, job in pending]
    read = _read_all(jobs_list, vocab, jobs, store, beside)
    for done, ((index, job), unit) in enumerate(zip(pending, read, strict=True), 1):
        units[index] = unit
        if progress is not None and (done % 20 == 0 or done == len(pending)):
            progress("check", done, len(pending))
    if store is not None:
        prune(store, used)
    return [unit for unit in units if unit is not None]


def _read_all(jobs_list: list[_Pending], vocab: Vocabulary, jobs: int, store: Path | None,
              beside: Callable[[], None] | None = None) -> Iterator[Unit]:
    """Each pending file's unit; with a ``store``, each readable one is kept there too.

    Workers hand their units back pickled anyway, and keep that pickle themselves; read here,
    a unit is pickled only to be kept.
    """
    workers = jobs or os.cpu_count() or 1
    if workers <= 1 or len(jobs_list) < PARALLEL_FILES or "fork" not in multiprocessing.get_all_start_methods():
        if beside is not None:
            beside()
        for job in jobs_list:
            yield _read(job, vocab, store)[0]
        return
    global _VOCAB, _JOBS, _STORE
    _VOCAB, _JOBS, _STORE = vocab, jobs_list, store
    try:
        # The parent pauses its cycle collector while loading; parsing makes cycles, so workers collect.
        # Workers inherit the files' bytes: a task is a range of indexes, not 60 MB of YAML through a pipe.
        with forked_pool(workers, initializer=_collect_own_garbage) as pool:
            # The tasks are handed out first: made before them, ``beside`` (≈ 0.06 s of imports
            # and templates) kept both workers waiting for their first file.
            results = pool.imap(_pickled_in_worker, file_ranges([len(job.raw) for job in jobs_list], workers))
            if beside is not None:
                beside()
            for pickled in results:
                for data in pickled:
                    yield pickle.loads(data)
    finally:
        _VOCAB, _JOBS, _STORE = None, [], None


_VOCAB: Vocabulary | None = None
_JOBS: list[_Pending] = []
_STORE: Path | None = None


def _collect_own_garbage() -> None:
    """A worker collects the cycles its parsing makes, but never walks what it inherited from
    the parent (frozen), and less often than every 700 new objects: a file makes tens of
    thousands (2–3 of a city's 16 CPU-s of loading went to collections)."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    gc.enable()


#: Bytes of YAML below which a task is not cut smaller (a few milliseconds of reading).
SMALLEST_TASK = 16 * 1024
#: Bytes of YAML above which a task is cut: the parent takes units in file order, so one large
#: first task would keep it waiting while the results behind it pile up.
LARGEST_TASK = 1024 * 1024


def file_ranges(sizes: list[int], workers: int) -> list[tuple[int, int]]:
    """Files (by their sizes in bytes) cut into ranges for the workers, each about a quarter of a
    worker's share of the bytes left: the ranges shrink towards the end, so that neither worker
    waits long for the other's last one (files of eight at a time left one idle for up to 0.05 s
    of a 10,000-item build)."""
    ranges = []
    left = sum(sizes)
    start = 0
    while start < len(sizes):
        budget = next_task_size(left, workers, SMALLEST_TASK, LARGEST_TASK)
        stop, taken = start + 1, sizes[start]
        while stop < len(sizes) and taken + sizes[stop] <= budget:
            taken += sizes[stop]
            stop += 1
        ranges.append((start, stop))
        left -= taken
        start = stop
    return ranges


def _pickled_in_worker(task: tuple[int, int]) -> list[bytes]:
    assert _VOCAB is not None
    if given_up():
        return []                         # the parent stopped reading: the files left are skipped
    units = []
    for index in range(*task):
        data = _read(_JOBS[index], _VOCAB, _STORE, pickled=True)[1]
        assert data is not None
        units.append(data)
    return units


def _read(job: _Pending, vocab: Vocabulary, store: Path | None, pickled: bool = False) -> tuple[Unit, bytes | None]:
    """Read one file's unit; with a ``store``, keep it there (if readable). Its pickle is made
    only to be kept or (``pickled``) to travel from a worker."""
    unit = read_unit(job.kind, job.path, job.raw, vocab)
    data = pickle.dumps(unit, protocol=pickle.HIGHEST_PROTOCOL) if pickled or store is not None else None
    if store is not None and data is not None and unit.readable:
        _save(store / f"{job.key}.pickle", data)
    return unit, data


def _save(path: Path, data: bytes) -> None:
    """Keep a unit; a folder we may not write to (a read-only checkout) only means no cache."""
    try:
        write_atomically(path, data)
    except OSError:
        pass


def prune(store: Path, used: set[str]) -> None:
    """Forget units of files no longer in the catalogue (an edited file leaves its old version)."""
    if not store.is_dir():
        return
    for kept in store.glob("*.pickle"):
        if kept.stem not in used:
            kept.unlink(missing_ok=True)
