"""``gkml build``: validate, then render the whole site atomically into ``--out``."""

from __future__ import annotations

import sys

from ..build import BuildOptions, build
from ..problems import CatalogueError
from ..report import print_problems, summary


def run(options: BuildOptions, quiet: bool = False) -> int:
    try:
        report = build(options)
    except CatalogueError as exc:
        print_problems(exc.problems)
        print(f"构建失败：{summary(exc.problems)}。输出目录 {options.out} 未作任何改动。", file=sys.stderr)
        return 1
    print_problems(report.problems)
    if not quiet:
        model = report.model
        print(
            f"构建完成：{len(model.catalogues)} 个目录、{len(model.items)} 个事项、{report.files} 个文件，"
            f"输出到 {options.out}，用时 {report.seconds:.1f} 秒",
            file=sys.stderr,
        )
    return 0
