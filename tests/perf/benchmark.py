"""Benchmark: build a synthetic catalogue of N items and report time, peak memory and size.

Run on demand (not part of the test suite):

    python -m tests.perf.benchmark            # 10,000 items over 24 domains
    python -m tests.perf.benchmark --items 2000 --jobs 1

Each build runs as its own process (`python -m generator build`), so the figures are those
a user sees: wall time, and the peak resident memory of the largest process (main or worker).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .synthetic import write_catalogue


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of the largest process among the finished children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    return seconds, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--domains", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gkml-bench-") as tmp:
        root = Path(tmp)
        catalog = write_catalogue(root / "catalog", args.items, args.domains)
        out = root / "site"
        command = [sys.executable, "-m", "generator", "build", "--catalog", str(catalog), "--content",
                   str(root / "no-content"), "--out", str(out), "--jobs", str(args.jobs), "--quiet"]
        times = []
        peak = 0
        for _ in range(args.runs):
            seconds, rss = measure(command)
            times.append(seconds)
            peak = max(peak, rss)
        pages = sorted(out.glob("items/*/index.html"))
        page_bytes = sum(p.stat().st_size for p in pages) / max(1, len(pages))
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        files = sum(1 for p in out.rglob("*") if p.is_file())
        times.sort()
        print(f"items: {args.items} over {args.domains} domains, jobs={args.jobs or 'all cores'}, runs={args.runs}")
        print(f"build wall time: median {times[len(times) // 2]:.2f} s (min {times[0]:.2f}, max {times[-1]:.2f})")
        print(f"peak memory (largest process): {peak / 1024:.0f} MiB")
        print(f"item page: {page_bytes / 1024:.1f} KiB on average; output: {files} files, {total / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
