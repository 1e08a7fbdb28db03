"""Stage 6 — publish: build into a staging folder beside ``--out``, swap it in on success.

A failed build (bad data, a crash, Ctrl-C) removes its staging folder and leaves the
previous site exactly as it was; readers never see a half-written site. An incremental
build stages only the files that changed and moves them in (:class:`Patch`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .problems import UsageError


def create_file(target: str, data: bytes) -> None:
    """Write ``data`` to the new file ``target`` (an existing one is an error, never overwritten):
    unbuffered, one write of bytes already whole, no file object around it — a city's build
    writes 300,000 pages and 100,000 search records this way."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        write_whole(descriptor, data)
    except OSError as exc:      # os.write names no file; a full disk should say which one failed
        raise OSError(exc.errno, exc.strerror, target) from None
    finally:
        os.close(descriptor)


def write_whole(descriptor: int, data: bytes) -> int:
    """Write all of ``data`` (``os.write`` may write less); returns its length."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]
    return len(data)


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside, then rename: a reader (another worker, the next build, an editor's git) never
    sees half a file, and a write that fails (a full disk) leaves nothing behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def check_out_dir(out: Path, protected: list[Path]) -> None:
    """Refuse an output folder whose replacement would delete sources or the project."""
    out = out.resolve()
    if out == Path(out.anchor) or out == Path.home().resolve() or out == Path.cwd().resolve():
        raise UsageError(f"输出目录不能是 {out}：构建会整体替换输出目录，请用单独的目录，如 build/")
    for path in protected:
        path = path.resolve()
        if path == out or out in path.parents:
            raise UsageError(f"输出目录 {out} 包含源文件目录 {path}：构建会整体替换输出目录，请另选目录")


@contextmanager
def staging(out: Path, background_cleanup: bool = False) -> Iterator[Path]:
    """Yield an empty folder to build into; publish it as ``out`` if the block succeeds.

    ``background_cleanup``: the replaced site is deleted by a detached process after the swap.
    A city's site is 300,000 files; unlinking them can take minutes on a slow disk, and the
    new site is already published by then, so the build need not wait for it.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Replaced sites whose removal was interrupted (a killed cleanup) go now.
    for stale in out.parent.glob(f".{out.name}.old-*"):
        _remove(stale, background_cleanup)
    stage = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    swap_in(stage, out, background_cleanup)


def swap_in(stage: Path, out: Path, background_cleanup: bool = False) -> None:
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.rename(out, old)
    os.rename(stage, out)
    _remove(old, background_cleanup)


def _remove(folder: Path, background: bool) -> None:
    if not folder.exists():
        return
    if not background or os.name != "posix":
        shutil.rmtree(folder, ignore_errors=True)
        return
    # A shell in its own session starts the removal in the background and returns at once:
    # the removal outlives this process and a Ctrl-C in the terminal, and nothing is left to reap.
    remove = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"
    subprocess.run(["sh", "-c", '"$0" -c "$1" "$2" </dev/null >/dev/null 2>&1 &', sys.executable, remove, str(folder)],
                   start_new_session=True, check=False)


# --- publishing an edit: only the files that changed ------------------------------------------

#: Written into a patch folder once it is complete: from then on the patch is applied, even by
#: the next build if this one is killed while applying it.
READY = ".gkml-ready.json"


class Patch:
    """The files an incremental build changed, staged beside ``--out`` and then moved into it.

    A city's site is 300,000 files and an edit changes a dozen: building a whole new folder
    (even of hard links) costs tens of seconds, moving a dozen files in costs milliseconds.
    Nothing touches ``--out`` until :meth:`apply`, so a failed build still leaves it exactly as
    it was. Applying is only renames (each file is replaced whole, never written through) and
    deletions; a build killed while applying leaves the ready marker, and the next build
    finishes the job before it reads the cache (:func:`recover`).
    """

    def __init__(self, out: Path, background_cleanup: bool = False):
        self.out = out.resolve()
        self.background_cleanup = background_cleanup
        self.folder = self.out.parent / f".{self.out.name}.patch-{os.getpid()}"
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        #: Output paths of the previous build that this one no longer has.
        self.deletions: list[str] = []
        #: Folders replaced whole (the search index is one unit: its files refer to each other).
        self.whole: list[str] = []
        #: Folders of the previous build to remove (the search index when built with --no-search).
        self.remove: list[str] = []

    def apply(self) -> None:
        marker = {"deletions": self.deletions, "whole": self.whole, "remove": self.remove,
                  "background": self.background_cleanup}
        temporary = self.folder / f"{READY}.tmp"
        temporary.write_text(json.dumps(marker, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.folder / READY)
        _apply(self.folder, self.out)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def patching(out: Path, background_cleanup: bool = False) -> Iterator[Patch]:
    """Yield a :class:`Patch`; apply it to ``out`` if the block succeeds, else forget it.

    ``background_cleanup``: replaced folders (the search index) are deleted by a detached process.
    """
    patch = Patch(out, background_cleanup)
    try:
        yield patch
    except BaseException:
        patch.discard()
        raise
    patch.apply()


def recover(out: Path) -> bool:
    """Finish applying a patch a killed build left behind; True if one was found.

    Patches that never became ready are simply removed: ``--out`` was not touched yet.
    """
    out = out.resolve()
    recovered = False
    # Replaced folders whose removal was interrupted (a killed cleanup) go now.
    for stale in out.parent.glob(f".{out.name}.old-*"):
        _remove(stale, background=True)
    for folder in sorted(out.parent.glob(f".{out.name}.patch-*")):
        if (folder / READY).is_file() and out.is_dir():
            _apply(folder, out)
            recovered = True
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return recovered


def _apply(folder: Path, out: Path) -> None:
    marker = json.loads((folder / READY).read_text(encoding="utf-8"))
    whole = set(marker["whole"])
    retired: list[Path] = []
    for name in marker["remove"] + marker["whole"]:
        # Out of --out at once (one rename), deleted at leisure: a large search index is
        # 100,000 files, and a folder still being deleted must not be where the next build writes.
        if (out / name).exists() and (name not in whole or (folder / name).exists()):
            retired.append(out.parent / f".{out.name}.old-{os.getpid()}-{name}")
            os.rename(out / name, retired[-1])
        if name in whole and (folder / name).exists():     # not yet moved by an interrupted apply
            os.rename(folder / name, out / name)
    for old in retired:
        _remove(old, background=marker.get("background", False))
    for directory, dirs, names in os.walk(folder):
        relative = os.path.relpath(directory, folder)
        if relative == ".":
            dirs[:] = [d for d in dirs if d not in whole]
            names = [n for n in names if n != READY]
        target = out if relative == "." else out / relative
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            os.replace(os.path.join(directory, name), target / name)
    for path in marker["deletions"]:
        target = out / path
        target.unlink(missing_ok=True)
        _remove_empty_parents(target.parent, out)
    shutil.rmtree(folder, ignore_errors=True)


def _remove_empty_parents(folder: Path, out: Path) -> None:
    while folder != out and out in folder.parents:
        try:
            folder.rmdir()
        except OSError:       # not empty (or already gone)
            return
        folder = folder.parent
