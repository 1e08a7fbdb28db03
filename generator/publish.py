"""Stage 6 — publish: build into a staging folder beside ``--out``, swap it in on success.

A failed build (bad data, a crash, Ctrl-C) removes its staging folder and leaves the
previous site exactly as it was; readers never see a half-written site.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .problems import UsageError


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
