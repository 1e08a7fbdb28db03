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

from generator.build import BuildOptions, build


def main() -> None:
    catalog, out, jobs, cache, search = sys.argv[1:6]
    started = time.perf_counter()
    options = BuildOptions(catalog=Path(catalog), content=None, out=Path(out), jobs=int(jobs),
                           update_lock=True, cache=cache == "1", search=search == "1")
    report = build(replace(options))
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "timings": report.timings,
        "files": report.files,
        "produced": report.produced,
        "unchanged": report.unchanged,
        "quick": report.quick,
    }))


if __name__ == "__main__":
    main()
