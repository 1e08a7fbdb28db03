"""``gkml build``: validate, then render the whole site atomically into ``--out``."""

from __future__ import annotations

import sys
from dataclasses import replace

from ..build import BuildOptions, build
from ..problems import CatalogueError, LockNotUpdated
from ..progress import build_progress
from ..report import print_problems, summary


def run(options: BuildOptions, quiet: bool = False) -> int:
    try:
        with build_progress(enabled=not quiet) as progress:
            report = build(replace(options, progress=progress) if progress else options)
    except CatalogueError as exc:
        print_problems(exc.problems)
        strict = "（--strict：警告也按错误处理）" if options.strict and not exc.problems.errors else ""
        print(f"构建失败：{summary(exc.problems)}{strict}。输出目录 {options.out} 未作任何改动。", file=sys.stderr)
        return 1
    except LockNotUpdated as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print_problems(report.problems)
    for note in report.notes:
        print(f"注意：{note}", file=sys.stderr)
    if not quiet and report.unchanged:
        print(f"没有改动：{report.catalogues} 个目录、{report.items} 个事项，{options.out} 保持不变"
              f"（用时 {report.seconds:.1f} 秒）", file=sys.stderr)
    elif not quiet:
        reused = f"，其中 {report.files - report.produced} 个沿用上次构建" if report.produced < report.files else ""
        print(
            f"构建完成：{report.catalogues} 个目录、{report.items} 个事项、{report.files} 个文件{reused}，"
            f"输出到 {options.out}，用时 {report.seconds:.1f} 秒",
            file=sys.stderr,
        )
    return 0
