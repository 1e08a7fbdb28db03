"""A progress display for long builds: a rich bar on stderr, only when stderr is a terminal.

CI logs and pipes get nothing from here (their lines would be noise); ``--quiet`` turns it
off too. The build reports through ``BuildOptions.progress(stage, done, total)``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ProgressCallback = Callable[[str, int, int], None]

#: Stage names the build reports → what the person at the terminal reads.
STAGE_LABELS = {"check": "读取并校验目录文件", "render": "生成页面"}


@contextmanager
def build_progress(enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """Yield a callback that draws the bar, or None where nothing should be drawn."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stderr)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    # transient: the bar disappears when done, leaving only the one-line summary.
    with Progress(*columns, console=console, transient=True) as progress:
        overall = progress.add_task("校验并生成网站", total=None)
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                progress.update(overall, visible=False)
                tasks[stage] = progress.add_task(STAGE_LABELS.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update
