"""Run one ``gkml build`` as the command line does and print its figures as one JSON line.

The benchmark runs this in a child process so that each build is measured alone: its wall
time, the time of each stage, how many outputs were produced anew, and (read by the parent)
the peak memory of its largest process.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from generator.build import BuildOptions, BuildReport, build
from generator.problems import CatalogueError, LockNotUpdated, UsageError, describe_os_error
from generator.report import print_problems, summary


def main() -> None:
    catalog, out, jobs, cache, search = sys.argv[1:6]
    started = time.perf_counter()
    options = BuildOptions(catalog=Path(catalog), content=None, out=Path(out), jobs=int(jobs),
                           update_lock=True, cache=cache == "1", search=search == "1")
    report = _build(replace(options))
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "timings": report.timings,
        "files": report.files,
        "produced": report.produced,
        "unchanged": report.unchanged,
        "quick": report.quick,
    }))


def _build(options: BuildOptions) -> BuildReport:
    """The build, its failures told as ``gkml build`` tells them (the benchmark prints them)."""
    try:
        return build(options)
    except CatalogueError as exc:
        print_problems(exc.problems)
        print(f"构建失败：{summary(exc.problems)}", file=sys.stderr)
    except (UsageError, LockNotUpdated) as exc:
        print(f"错误：{exc}", file=sys.stderr)
    except OSError as exc:
        print(f"错误：{describe_os_error(exc)}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
