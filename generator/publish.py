"""Stage 6 — publish: build into a staging folder beside ``--out``, swap it in on success.

A failed build (bad data, a crash, Ctrl-C) removes its staging folder and leaves the
previous site exactly as it was; readers never see a half-written site.
"""

from __future__ import annotations

import os
import shutil
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
def staging(out: Path) -> Iterator[Path]:
    """Yield an empty folder to build into; publish it as ``out`` if the block succeeds."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    swap_in(stage, out)


def swap_in(stage: Path, out: Path) -> None:
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.rename(out, old)
    os.rename(stage, out)
    shutil.rmtree(old, ignore_errors=True)
