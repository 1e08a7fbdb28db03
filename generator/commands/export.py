"""``gkml export``: catalogues as the published table layout, in xlsx or csv."""

from __future__ import annotations

import sys
from pathlib import Path

from ..load import load_sources
from ..model import all_catalogues
from ..problems import Problems, UsageError
from ..report import print_problems
from ..spreadsheet_export import csv_text, write_csv, write_xlsx
from ..validate import site_vocabulary, validate_sources


def run(catalog: Path, fmt: str, catalogue_id: str | None, out: Path | None) -> int:
    if not catalog.is_dir():
        raise UsageError(f"找不到目录数据文件夹 {catalog}：请用 --catalog 指定")
    problems = Problems()
    sources = load_sources(catalog, problems)
    validate_sources(sources, problems)
    if problems.errors:
        print_problems(problems)
        print("导出失败：目录数据有错误，请先按上面的提示修正（可用 gkml validate 检查）。", file=sys.stderr)
        return 1
    catalogues = all_catalogues(sources)
    if catalogue_id:
        catalogues = tuple(c for c in catalogues if c.id == catalogue_id)
        if not catalogues:
            known = "、".join(c.id for c in all_catalogues(sources))
            raise UsageError(f"找不到目录“{catalogue_id}”。可选：{known}")
    if not catalogues:
        raise UsageError(f"{catalog} 中没有目录文件")
    levels = site_vocabulary(sources.site.data if sources.site else None).levels
    if fmt == "csv":
        if len(catalogues) > 1:
            raise UsageError("一个 CSV 文件只能保存一个目录：请用 --catalogue 指定，如 --catalogue compulsory-education")
        if out is not None and str(out) == "-":
            sys.stdout.write(csv_text(catalogues[0], levels))
            return 0
        out = out or Path(f"{catalogues[0].id}.csv")
        write_csv(catalogues[0], levels, out)
    else:
        out = out or Path(f"{catalogues[0].id}.xlsx" if len(catalogues) == 1 else "catalogues.xlsx")
        write_xlsx(catalogues, levels, out)
    items = sum(len(c.items) for c in catalogues)
    print(f"已导出 {len(catalogues)} 个目录、{items} 个事项到 {out}", file=sys.stderr)
    return 0
