"""``gkml import``: a catalogue table as published (xlsx or csv) → catalogue YAML.

The sheet is read the way a person reads it: find the header (one or two rows; group labels
merged over their columns), fill merged cells (一级事项 over several rows) and carry the last
一级事项 down where a scrape lost the merge, then read each column by its label whatever its
position. Every cell that cannot be mapped is reported as ``FILE:SHEET!CELL: warning: …``;
nothing is dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fields as F
from . import sheet_cells as cells
from . import standard_lists as std
from .sheet_layout import (INFO_COLUMNS, INFO_SHEET, KIND_LABELS, LEVELS_TOP, SINGLE_COLUMNS, SUB_COLUMNS,
                           SUB_LABELS, normalise_label)

_ID = re.compile(F.ID_PATTERN)
#: Header labels that only a header row has; three of them in one row make it the header.
_HEADER_WORDS = set(SINGLE_COLUMNS) | {"公开事项", "公开对象", "公开方式", "公开层级"}


def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetWarning:
    file: str
    sheet: str
    row: int
    col: int
    message: str

    def format(self) -> str:
        return f"{self.file}:{self.sheet}!{column_letter(self.col)}{self.row}: warning: {self.message}"


@dataclass
class Grid:
    """One sheet as text cells (1-based), with merged ranges resolved to their top-left value."""

    name: str
    cells: dict[tuple[int, int], str]
    max_row: int
    max_col: int
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    _owner: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r1, c1, r2, c2 in self.merged:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    self._owner[(r, c)] = (r1, c1)

    def value(self, row: int, col: int) -> str:
        """The text a reader sees at (row, col): a merged cell's value shows in all its cells."""
        return self.exact(row, col).strip()

    def exact(self, row: int, col: int) -> str:
        """As :meth:`value`, keeping leading and trailing line breaks (备注 is Markdown)."""
        return self.cells.get(self._owner.get((row, col), (row, col)), "")

    def raw(self, row: int, col: int) -> str:
        """Only what is written in this very cell (not a merged neighbour's value)."""
        return self.cells.get((row, col), "").strip()

    def span(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        owner = self._owner.get((row, col))
        if owner is None:
            return None
        return next(m for m in self.merged if (m[0], m[1]) == owner)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")


def read_grids(path: Path) -> list[Grid]:
    if path.suffix.lower() == ".csv":
        return [_read_csv(path)]
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ValueError(f"只能导入 .xlsx 或 .csv 文件（.xls 请先在 Excel 或 WPS 中另存为 .xlsx）：{path.name}")
    from openpyxl import load_workbook
    book = load_workbook(path, data_only=True)
    grids = []
    for sheet in book.worksheets:
        cells = {(c.row, c.column): _text(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
        merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells.ranges]
        grids.append(Grid(sheet.title, {k: v for k, v in cells.items() if v.strip()}, sheet.max_row, sheet.max_column,
                          merged))
    return grids


def _read_csv(path: Path) -> Grid:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")   # what Excel on a Chinese Windows saves as “CSV”
    rows = list(csv.reader(io.StringIO(text)))
    cells = {(r, c): _text(v) for r, row in enumerate(rows, 1) for c, v in enumerate(row, 1) if v.strip()}
    return Grid(path.stem, cells, len(rows), max((len(r) for r in rows), default=0))


# --- header ----------------------------------------------------------------------------------

@dataclass
class Header:
    row: int                      # first header row
    data_row: int                 # first data row
    title: str                    # the title row above the header, if any
    fields: dict[int, str]        # column → field key
    levels: dict[int, str]        # column → level label (公开层级 tick columns)
    unmapped: dict[int, str]      # column → header label we do not know


def find_header(grid: Grid) -> Header | None:
    for row in range(1, min(grid.max_row, 15) + 1):
        labels = {normalise_label(grid.value(row, c)) for c in range(1, grid.max_col + 1)}
        if len(labels & _HEADER_WORDS) < 3:
            continue
        title = next((grid.value(r, c) for r in range(1, row) for c in range(1, grid.max_col + 1)
                      if grid.value(r, c)), "")
        below = [normalise_label(grid.raw(row + 1, c)) for c in range(1, grid.max_col + 1)]
        two_rows = any(label in SUB_LABELS for label in below) or _levels_below(grid, row)
        header = Header(row, row + (2 if two_rows else 1), title, {}, {}, {})
        top = ""
        for col in range(1, grid.max_col + 1):
            written = normalise_label(grid.value(row, col))
            sub = normalise_label(grid.raw(row + 1, col)) if two_rows else ""
            span = grid.span(row + 1, col)
            if span and span[0] <= row:        # a label merged over both header rows
                sub = ""
            # A csv (or a sheet whose merges were lost) writes a group label on its first column only.
            top = written or (top if sub and top in SUB_COLUMNS | {LEVELS_TOP: {}} else "")
            _map_column(header, col, top, sub)
        return header
    return None


def _levels_below(grid: Grid, row: int) -> bool:
    return any(normalise_label(grid.value(row, c)) == LEVELS_TOP and grid.raw(row + 1, c)
               for c in range(1, grid.max_col + 1))


def _map_column(header: Header, col: int, top: str, sub: str) -> None:
    if not top and not sub:
        return
    if top == LEVELS_TOP and sub:
        header.levels[col] = sub
    elif top in SUB_COLUMNS and sub:
        key = SUB_COLUMNS[top].get(sub)
        if key:
            header.fields[col] = key
        else:
            header.unmapped[col] = f"{top}/{sub}"
    elif not sub and top in SINGLE_COLUMNS:
        header.fields[col] = SINGLE_COLUMNS[top]
    elif sub in SINGLE_COLUMNS and SINGLE_COLUMNS[sub] in ("category", "name"):
        header.fields[col] = SINGLE_COLUMNS[sub]
    elif top in SINGLE_COLUMNS and sub:
        header.unmapped[col] = f"{top}/{sub}"
    else:
        header.unmapped[col] = "/".join(x for x in (top, sub) if x)


# --- rows → items ----------------------------------------------------------------------------

@dataclass
class Options:
    catalogue_id: str | None = None
    kind: str | None = None
    name: str | None = None
    source: str | None = None
    updated: dt.date | None = None
    prefix: str | None = None
    channels: Sequence[str] = std.STANDARD_CHANNELS
    levels: Sequence[str] = std.DEFAULT_LEVELS
    #: Ids used by other catalogue files: a generated id must not collide with them.
    taken_ids: set[str] = field(default_factory=set)
    #: (一级事项, 二级事项) → id from the file being replaced, so re-imports keep their ids.
    known_ids: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class Imported:
    sheet: str
    header: dict[str, Any]
    items: list[dict[str, Any]]
    warnings: list[SheetWarning]


class ImportError_(Exception):
    """The sheet has no recognisable catalogue table (or lacks something we cannot guess)."""


def import_grid(grid: Grid, file_label: str, options: Options, info: dict[str, str] | None = None) -> Imported:
    warnings: list[SheetWarning] = []

    def warn(row: int, col: int, message: str) -> None:
        warnings.append(SheetWarning(file_label, grid.name, row, col, message))

    header = find_header(grid)
    if header is None:
        raise ImportError_(f"工作表“{grid.name}”中找不到表头：需要“序号、公开事项、公开内容、公开依据……”等列名")
    for col, label in sorted(header.unmapped.items()):
        warn(header.row, col, f"未识别的列“{label}”，该列内容未导入")
    for col, label in sorted(header.levels.items()):
        if label not in options.levels:
            warn(header.row + 1, col, f"公开层级“{label}”未在 site.yaml 的 levels 中声明：已保留，请在 levels 中声明")
    if "name" not in header.fields.values():
        raise ImportError_(f"工作表“{grid.name}”没有“二级事项”（或“事项名称”）列")
    meta = _catalogue_header(grid, header, options, info or {}, warn)
    rows = _item_rows(grid, header, warn)
    last_basis: list[list[dict[str, str]]] = [[]]   # for a 公开依据 cell saying “同上”
    items = [_item(grid, header, row, last_basis, options, meta["kind"], warn) for row, _ in rows]
    _assign_ids(items, [r for r, _ in rows], grid, header, options, meta["id"], warn)
    return Imported(grid.name, meta, items, warnings)


def _catalogue_header(grid: Grid, header: Header, options: Options, info: dict[str, str], warn: Any) -> dict[str, Any]:
    title = header.title
    ident = options.catalogue_id or info.get("目录标识") or _guess_id(title or grid.name)
    if not ident or not _ID.match(ident):
        raise ImportError_(f"无法确定工作表“{grid.name}”的目录标识：请用 --id 指定，如 --id compulsory-education")
    kind_text = options.kind or info.get("目录类型") or ""
    kind = {v: k for k, v in KIND_LABELS.items()}.get(kind_text, kind_text)
    if kind not in std.CATALOGUE_KINDS:
        has_ticks = any(k.startswith(("audience", "mode")) for k in header.fields.values()) or header.levels
        kind = "domain" if ident in std.PILOT_DOMAINS or has_ticks else "community"
    name = options.name or info.get("目录名称") or _name_from_title(title, kind) or std.PILOT_DOMAINS.get(ident) \
        or grid.name
    source = options.source or info.get("编制依据")
    if not source:
        source = f"{name}领域基层政务公开标准指引" if kind == "domain" else f"{name}编制要求"
        warn(header.row, 1, f"表格中没有编制依据，已填“{source}”，请在生成的文件中核对 source")
    updated = options.updated
    if updated is None and info.get("修订时间"):
        try:
            updated = dt.date.fromisoformat(info["修订时间"][:10])
        except ValueError:
            warn(header.row, 1, f"目录信息中的修订时间“{info['修订时间']}”不是 YYYY-MM-DD 格式")
    if updated is None:
        updated = dt.date.today()
        warn(header.row, 1, f"表格中没有修订时间，已填今天（{updated.isoformat()}），请在生成的文件中核对 updated")
    meta: dict[str, Any] = {"id": ident, "name": name, "kind": kind, "source": source, "updated": updated}
    if info.get("目录说明"):
        meta["description"] = info["目录说明"] + ("\n" if "\n" in info["目录说明"] else "")
    return meta


def _guess_id(title: str) -> str | None:
    matches = [(len(name), slug) for slug, name in std.PILOT_DOMAINS.items() if name in title]
    return max(matches)[1] if matches else None


def _name_from_title(title: str, kind: str) -> str | None:
    """“XX区义务教育领域基层政务公开标准目录” → “义务教育”; a community list keeps its title."""
    title = re.sub(r"\s+", "", title)
    if not title or kind == "community":
        return title or None
    name = re.sub(r"(领域)?(基层)?(政务)?公开(标准)?(目录|清单).*$", "", title)
    pilot = [n for n in std.PILOT_DOMAINS.values() if n in name]
    return max(pilot, key=len) if pilot else (name or None)


def _item_rows(grid: Grid, header: Header, warn: Any) -> list[tuple[int, int | None]]:
    """The data rows, each with the row it carries 一级事项 from (None: its own)."""
    mapped = sorted(set(header.fields) | set(header.levels))
    rows: list[tuple[int, int | None]] = []
    for row in range(header.data_row, grid.max_row + 1):
        values = [grid.value(row, c) for c in mapped if header.fields.get(c) != "seq"]
        if not any(values):
            continue
        span = next((grid.span(row, c) for c in mapped if grid.span(row, c)), None)
        if span and span[3] - span[1] >= 2 and span[0] == span[2]:
            warn(row, span[1], f"第 {row} 行是跨列合并的说明文字，未导入：“{grid.value(row, span[1])[:30]}”")
            continue
        rows.append((row, None))
    for unmapped_col in header.unmapped:
        for row, _ in rows:
            if grid.raw(row, unmapped_col):
                warn(row, unmapped_col, f"未识别列中的内容未导入：“{grid.raw(row, unmapped_col)[:30]}”")
    return rows


def _cell(grid: Grid, header: Header, row: int, key: str) -> tuple[str, int]:
    for col, field_key in header.fields.items():
        if field_key == key:
            return grid.value(row, col), col
    return "", 0


def _item(grid: Grid, header: Header, row: int, last_basis: list[list[dict[str, str]]], options: Options, kind: str,
          warn: Any) -> dict[str, Any]:
    def cell(key: str) -> tuple[str, int]:
        return _cell(grid, header, row, key)

    item: dict[str, Any] = {}
    group, _ = cell("group")
    category, category_col = cell("category")
    name, name_col = cell("name")
    # A merged 一级事项 lost by a web scrape: carry the last one down.
    if not category and category_col:
        category = _carry(grid, header, row, "category")
        if not group:
            group = _carry(grid, header, row, "group")
    if not category:
        category = name
        if category_col:
            warn(row, category_col, "没有一级事项，已用二级事项名称代替，请核对")
    if not name:
        name = category
        warn(row, name_col or 1, "没有二级事项，已用一级事项名称代替，请核对")
    item["id"] = ""
    if group:
        item["group"] = group
    item["category"], item["name"] = category, name
    text, col = cell("content")
    item["content"] = cells.parse_content(text)
    if not item["content"]:
        warn(row, col or 1, "公开内容为空")
    text, col = cell("basis")
    parsed = cells.parse_basis(text, last_basis[0])
    for message in parsed.warnings:
        warn(row, col, message)
    if not parsed.basis:
        warn(row, col or 1, "公开依据为空")
    item["basis"] = parsed.basis
    last_basis[0] = parsed.basis or last_basis[0]
    for key, label in (("timing", "公开时限"), ("subject", "公开主体")):
        text, col = cell(key)
        item[key] = re.sub(r"\s*\n\s*", "", text)
        if not text:
            warn(row, col or 1, f"{label}为空")
    text, col = cell("channels")
    channels = cells.parse_channels(text, options.channels)
    for message in channels.warnings:
        warn(row, col, message)
    if not channels.chosen:
        warn(row, col or 1, "没有选择任何公开渠道")
    item["channels"] = channels.chosen
    _audience_mode_levels(grid, header, row, item, kind, warn)
    _extras(grid, header, row, item, warn)
    return item


def _carry(grid: Grid, header: Header, row: int, key: str) -> str:
    for earlier in range(row - 1, header.data_row - 1, -1):
        value, _ = _cell(grid, header, earlier, key)
        if value:
            return value
    return ""


def _tick_pair(first: tuple[str, int], second: tuple[str, int], labels: tuple[str, str], field: str,
               row: int, warn: Any) -> str | None:
    """The published tables' two tick columns (全社会/特定群体, 主动/依申请): which one is ticked."""
    if cells.is_ticked(first[0]):
        if cells.is_ticked(second[0]):
            warn(row, second[1], f"{field}同时勾选了“{labels[0]}”和“{labels[1]}”，已按“{labels[0]}”导入")
        return labels[0]
    return labels[1] if cells.is_ticked(second[0]) else None


def _audience_mode_levels(grid: Grid, header: Header, row: int, item: dict[str, Any], kind: str, warn: Any) -> None:
    def cell(key: str) -> tuple[str, int]:
        return _cell(grid, header, row, key)

    everyone, specific, (text, col_text) = cell("audience_all"), cell("audience_specific"), cell("audience_text")
    audience = _tick_pair(everyone, specific, ("全社会", "特定群体"), "公开对象", row, warn)
    if audience:
        item["audience"] = audience
        if audience == "特定群体" and not cells.is_tick_mark(specific[0]):
            item["audience_group"] = specific[0]
    elif text:
        if text.startswith("全社会"):
            item["audience"] = "全社会"
        else:
            item["audience"] = "特定群体"
            group = re.sub(r"^特定(群体|群众|对象)[（(：:]?|[)）]$", "", text).strip()
            if group:
                item["audience_group"] = group
    elif kind == "domain" and (everyone[1] or specific[1] or col_text):
        warn(row, everyone[1] or col_text, "没有勾选公开对象")
    active, request, (text, col_text) = cell("mode_active"), cell("mode_request"), cell("mode_text")
    mode = _tick_pair(active, request, ("主动", "依申请"), "公开方式", row, warn)
    if mode:
        item["mode"] = mode
    elif text:
        item["mode"] = "依申请" if "依申请" in text else "主动"
        if "主动" not in text and "依申请" not in text:
            warn(row, col_text, f"公开方式“{text}”无法识别，已按“主动”导入")
    elif kind == "domain" and (active[1] or request[1] or col_text):
        warn(row, active[1] or col_text, "没有勾选公开方式")
    levels = [label for col, label in sorted(header.levels.items()) if cells.is_ticked(grid.value(row, col))]
    text, col_text = cell("levels_text")
    if text:
        levels += [lv for lv in re.split(r"[、，,；;\s]+", text) if lv and lv not in levels]
    if levels:
        item["levels"] = levels
    elif kind == "domain" and (header.levels or col_text):
        warn(row, min(header.levels, default=col_text), "没有勾选公开层级")


def _extras(grid: Grid, header: Header, row: int, item: dict[str, Any], warn: Any) -> None:
    """The columns gkml's own export adds after the published ones."""
    def cell(key: str) -> tuple[str, int]:
        return _cell(grid, header, row, key)

    text, _ = cell("keywords")
    if text:
        item["keywords"] = [k for k in re.split(r"[、，,；;\n]+", text) if k.strip()]
    notes = next((grid.exact(row, c) for c, k in header.fields.items() if k == "notes"), "")
    if notes.strip():
        item["notes"] = notes.strip("\n ") + ("\n" if notes.endswith("\n") else "")
    text, col = cell("changes")
    changes = []
    for line in (x.strip() for x in text.split("\n") if x.strip()):
        match = re.match(r"^(\d{4}-\d{1,2}-\d{1,2})\s*[：:\s]\s*(.+)$", line)
        date = _date(match.group(1)) if match else None
        if date is None:
            warn(row, col, f"修订记录“{line}”应写成“YYYY-MM-DD：修订内容”，未导入")
            continue
        changes.append({"date": date, "summary": match.group(2).strip()})  # type: ignore[union-attr]
    if changes:
        item["changes"] = changes
    status, col = cell("status")
    if status in ("已撤销", "撤销", "withdrawn"):
        item["status"] = "withdrawn"
        on, on_col = cell("withdrawn_on")
        date = _date(on)
        if date is None:
            warn(row, on_col or col, f"撤销日期“{on}”应为 YYYY-MM-DD")
        item["withdrawn_on"] = date
        item["reason"], _ = cell("reason")
        replaced, _ = cell("replaced_by")
        if replaced:
            item["replaced_by"] = replaced
    elif status and status not in ("有效", "active"):
        warn(row, col, f"状态“{status}”无法识别（应为“有效”或“已撤销”），已按有效导入")


def _date(text: str) -> dt.date | None:
    try:
        year, month, day = (int(x) for x in text.strip()[:10].split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return None


def _assign_ids(items: list[dict[str, Any]], rows: list[int], grid: Grid, header: Header, options: Options,
                catalogue_id: str, warn: Any) -> None:
    """Ids from the 事项标识 column, else from the file being replaced, else ``<prefix>-<n>``.

    Generated ids depend only on the row order, so importing the same sheet twice gives the
    same ids; they are printed as a warning because a published id can never change.
    """
    used = set(options.taken_ids)
    pending: list[tuple[int, int]] = []
    id_col = next((c for c, k in header.fields.items() if k == "id"), 0)
    for index, (item, row) in enumerate(zip(items, rows)):
        given = grid.value(row, id_col) if id_col else ""
        known = options.known_ids.get((item["category"], item["name"]))
        if given and not _ID.match(given):
            warn(row, id_col, f"事项标识“{given}”不合法（只能用小写字母、数字和连字符），已另行生成")
            given = ""
        if given and given in used:
            warn(row, id_col, f"事项标识“{given}”重复或已被其他目录使用，已另行生成")
            given = ""
        chosen = given or (known if known and known not in used else "")
        if chosen:
            item["id"] = chosen
            used.add(chosen)
        else:
            pending.append((index, row))
    prefix = options.prefix or catalogue_id
    number = 0
    for index, row in pending:
        number += 1
        while f"{prefix}-{number}" in used:
            number += 1
        items[index]["id"] = f"{prefix}-{number}"
        used.add(items[index]["id"])
    if pending:
        first, last = items[pending[0][0]]["id"], items[pending[-1][0]]["id"]
        warn(header.row, id_col or 1,
             f"{len(pending)} 个事项没有事项标识，已按顺序生成 {first} … {last}：标识决定网址和二维码，发布后不能更改，"
             "请现在核对，可改为有意义的英文标识（如 edu-enrolment-policy）")


def read_info(grids: Sequence[Grid]) -> dict[str, dict[str, str]]:
    """The 目录信息 sheet that ``gkml export`` writes: sheet name → its catalogue header."""
    info = next((g for g in grids if g.name == INFO_SHEET), None)
    if info is None:
        return {}
    columns = {normalise_label(info.value(1, c)): c for c in range(1, info.max_col + 1)}
    result = {}
    for row in range(2, info.max_row + 1):
        record = {label: info.value(row, columns[label]) for label in INFO_COLUMNS if label in columns}
        if record.get("工作表"):
            result[record["工作表"]] = record
    return result
