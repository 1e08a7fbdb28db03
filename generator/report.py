"""How problems and results are told to the person (or CI job) running gkml."""

from __future__ import annotations

import sys

from .problems import Problems


def print_problems(problems: Problems) -> None:
    """One line per problem, ``PATH:LINE:COL: error: …``, errors and warnings in file order."""
    for problem in problems.sorted():
        print(problem.format(), file=sys.stderr)


def summary(problems: Problems) -> str:
    errors, warnings = len(problems.errors), len(problems.warnings)
    parts = []
    if errors:
        parts.append(f"{errors} 个错误")
    if warnings:
        parts.append(f"{warnings} 个警告")
    return "，".join(parts) if parts else "没有发现问题"
