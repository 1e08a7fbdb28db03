"""``gkml validate``: check every file, print every problem, render nothing."""

from __future__ import annotations

import sys

from ..build import BuildOptions, check
from ..cache import cache_dir
from ..report import print_problems, summary


def run(options: BuildOptions, quiet: bool = False) -> int:
    # Files checked by an earlier run are not parsed again (a city's 3,000 files take seconds):
    # kept beside the catalogue folder, in the same git-ignored cache as the build's.
    checked = check(options, cache_dir(options.catalog.parent / "validate") / "units")
    print_problems(checked.problems)
    failed = bool(checked.problems.errors) or (options.strict and bool(checked.problems.warnings))
    if not quiet or failed:
        count = len(checked.model.items) if checked.model else 0
        tail = f"；已发布目录 {len(checked.model.catalogues)} 个，事项 {count} 项" if checked.model else ""
        print(f"校验{'未通过' if failed else '通过'}：{summary(checked.problems)}{tail}", file=sys.stderr)
    return 1 if failed else 0
