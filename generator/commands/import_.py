"""``gkml import``: a published catalogue table (xlsx or csv) → catalogue YAML files."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import replace
from pathlib import Path
from ..catalogue_text import catalogue_text
from ..load import CATALOGUE_FOLDERS, Sources, load_sources
from ..problems import Problems, UsageError
from ..report import print_problems
from ..sheet_layout import INFO_SHEET
from ..spreadsheet_export import table_title
from ..spreadsheet_import import (Grid, Imported, ImportError_, Options, find_header, import_grid, read_grids,
                                  read_info)
from ..validate import site_vocabulary, validate_sources
from ..yaml_source import YamlSourceError, parse

FOLDERS = {kind: folder for folder, kind in CATALOGUE_FOLDERS.items()}


def run(file: Path, catalog: Path, catalogue_id: str | None, kind: str | None, out: Path | None,
        sheet: str | None, prefix: str | None, updated: dt.date | None, force: bool) -> int:
    try:
        grids = read_grids(file)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # a damaged or password-protected workbook
        raise UsageError(f"无法读取 {file.name}：{exc}") from None
    targets = [g for g in grids if g.name != INFO_SHEET and (sheet is None or g.name == sheet)]
    if sheet is not None and not targets:
        raise UsageError(f"{file.name} 中没有名为“{sheet}”的工作表。可选：{'、'.join(g.name for g in grids)}")
    if len(targets) > 1:
        skipped = [g for g in targets if find_header(g) is None]
        for grid in skipped:
            print(f"{file.name}:{grid.name}!A1: warning: 工作表中没有目录表格，已跳过", file=sys.stderr)
        targets = [g for g in targets if g not in skipped]
        if len(targets) > 1 and (catalogue_id or out):
            raise UsageError(f"{file.name} 有 {len(targets)} 个目录工作表：用 --id 或 --out 时请用 --sheet 选定一个")
    sources = _sources(catalog)
    vocab = site_vocabulary(sources.site.data if sources and sources.site else None)
    info = read_info(grids)
    base = Options(catalogue_id=catalogue_id, kind=kind, updated=updated, prefix=prefix,
                   channels=vocab.channels, levels=vocab.levels)
    failed = False
    for grid in targets:
        try:
            failed |= _import_one(file, grid, catalog, sources, base, info.get(grid.name), out, force)
        except ImportError_ as exc:
            print(f"{file.name}:{grid.name}!A1: error: {exc}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def _sources(catalog: Path) -> Sources | None:
    if not (catalog / "site.yaml").is_file():
        return None
    return load_sources(catalog, Problems())


def _import_one(file: Path, grid: Grid, catalog: Path, sources: Sources | None, base: Options,
                info: dict[str, str] | None, out: Path | None, force: bool) -> bool:
    # First pass: which catalogue is this? Its id decides the file we write (and may replace).
    first = import_grid(grid, file.name, replace(base), info)
    target = out or catalog / FOLDERS[first.header["kind"]] / f"{first.header['id']}.yaml"
    to_stdout = str(target) == "-"
    if not to_stdout and target.exists() and not force:
        raise UsageError(f"{target} 已存在：确认要用表格内容覆盖时加 --force（已有事项的标识会按“一级事项+二级事项”沿用）")
    usual = catalog / FOLDERS[first.header["kind"]] / f"{first.header['id']}.yaml"
    taken, known = _ids(sources, {usual.resolve()} | ({target.resolve()} if not to_stdout else set()))
    result = import_grid(grid, file.name, replace(base, taken_ids=taken, known_ids=known), info)
    for warning in sorted(result.warnings, key=lambda w: (w.row, w.col)):
        print(warning.format(), file=sys.stderr)
    text = _text(file, result)
    if to_stdout:
        sys.stdout.write(text)
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    errors = _validate(target, text, sources, result.header["kind"], result.header["id"])
    count = len(result.items)
    if errors:
        print(f"已写入 {target}（{count} 个事项），但其中有 {errors} 个错误，请按上面的提示修改后再发布。", file=sys.stderr)
        return True
    note = f"，有 {len(result.warnings)} 条提示请核对" if result.warnings else ""
    print(f"已导入 {count} 个事项到 {target}{note}。", file=sys.stderr)
    return False


def _ids(sources: Sources | None, replaced: set[Path]) -> tuple[set[str], dict[tuple[str, str], str]]:
    """Ids other files use (a generated id must avoid them) and the replaced file's own ids,
    so a re-imported sheet without a 事项标识 column keeps the ids already published."""
    taken: set[str] = set()
    known: dict[tuple[str, str], str] = {}
    if sources is None:
        return taken, known
    for _, doc in sources.catalogues:
        items = doc.data.get("items") if isinstance(doc.data, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            if doc.path.resolve() in replaced:
                known.setdefault((str(item.get("category")), str(item.get("name"))), item["id"])
            else:
                taken.add(item["id"])
    return taken, known


def _text(file: Path, result: Imported) -> str:
    header = result.header
    title = table_title(header["name"], header["kind"])
    intro = [title, "",
             f"由 gkml import 从 {file.name}（工作表“{result.sheet}”）导入。导入时的提示已在命令行列出，请逐条核对。",
             "字段说明见 docs/catalogue-format.md；事项标识（id）决定网址和二维码，发布后不要更改。"]
    return catalogue_text(header, result.items, intro)


def _validate(target: Path, text: str, sources: Sources | None, kind: str, target_id: str) -> int:
    """Check the written file as ``gkml validate`` would; print its problems; count the errors."""
    try:
        doc = parse(target, text.encode("utf-8"))
    except YamlSourceError as exc:  # cannot happen: catalogue_text reads its output back
        print(f"{target}:{exc.position.line}:{exc.position.col}: error: {exc.message}", file=sys.stderr)
        return 1
    problems = Problems()
    # The file this import replaces (same catalogue id, wherever it was written) is not a neighbour.
    others = [(k, d) for k, d in (sources.catalogues if sources else [])
              if d.path.resolve() != target.resolve() and d.path.stem != target_id]
    checked = Sources(target.parent.parent, sources.site if sources else None, others + [(kind, doc)])
    validate_sources(checked, problems)
    mine = Problems([p for p in problems.items if p.path == target])
    print_problems(mine)
    return len(mine.errors)

