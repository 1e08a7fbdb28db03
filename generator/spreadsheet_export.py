"""``gkml export``: catalogues as the table editors know — the published layout, in xlsx or csv.

The xlsx form looks like a published catalogue: a title row, the two-row header with merged
group labels, 一级事项 merged over its rows, the ■/□ channel checklist, √ ticks, wrapped
text, fixed column widths and a frozen header. A 目录信息 sheet carries each catalogue's
header (标识, 名称, 编制依据, 修订时间) so ``gkml import`` reads the workbook back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import sheet_cells as cells
from .model import Catalogue, Item
from .sheet_layout import INFO_COLUMNS, INFO_SHEET, KIND_LABELS, TICK


@dataclass(frozen=True)
class Column:
    top: str           # first header row (merged over the group)
    sub: str           # second header row ("" when the top cell spans both rows)
    width: float       # in Excel character units
    key: str           # what the cell holds


@dataclass
class Table:
    """One catalogue laid out as rows of text; the same for xlsx and csv."""

    title: str
    columns: list[Column]
    rows: list[list[str]]
    #: 0-based (first row, last row, column) runs of equal 一级事项/类别 to merge in xlsx.
    merges: list[tuple[int, int, int]]


def table_title(name: str, kind: str) -> str:
    """The title row of a published table: “义务教育领域基层政务公开标准目录”."""
    return f"{name}领域基层政务公开标准目录" if kind == "domain" else name


def layout(catalogue: Catalogue, levels: Sequence[str]) -> Table:
    items = catalogue.items
    used_levels = [lv for lv in levels if any(lv in i.levels for i in items)] if catalogue.kind == "community" \
        else list(levels)
    used_levels += sorted({lv for i in items for lv in i.levels} - set(used_levels))
    columns = [Column("序号", "", 6, "seq")]
    if any(i.group for i in items):
        columns.append(Column("类别", "", 12, "group"))
    columns += [
        Column("公开事项", "一级事项", 14, "category"),
        Column("公开事项", "二级事项", 18, "name"),
        Column("公开内容（要素）", "", 30, "content"),
        Column("公开依据", "", 36, "basis"),
        Column("公开时限", "", 20, "timing"),
        Column("公开主体", "", 14, "subject"),
        Column("公开渠道和载体", "", 26, "channels"),
    ]
    if catalogue.kind == "domain" or any(i.audience for i in items):
        columns += [Column("公开对象", "全社会", 7, "audience_all"), Column("公开对象", "特定群体", 9, "audience_specific")]
    if catalogue.kind == "domain" or any(i.mode for i in items):
        columns += [Column("公开方式", "主动", 6, "mode_active"), Column("公开方式", "依申请", 7, "mode_request")]
    columns += [Column("公开层级", lv, 6, f"level:{lv}") for lv in used_levels]
    columns.append(Column("事项标识", "", 22, "id"))
    extras = (("keywords", "检索词", 14), ("notes", "备注", 24), ("changes", "修订记录", 22))
    columns += [Column(label, "", width, key) for key, label, width in extras if any(getattr(i, key) for i in items)]
    if catalogue.withdrawn_items:
        columns += [Column("状态", "", 8, "status"), Column("撤销日期", "", 12, "withdrawn_on"),
                    Column("撤销原因", "", 18, "reason"), Column("替代事项", "", 20, "replaced_by")]
    rows = [[_cell(item, n, c.key) for c in columns] for n, item in enumerate(items, 1)]
    return Table(table_title(catalogue.name, catalogue.kind), columns, rows, _merges(items, columns))


def _cell(item: Item, number: int, key: str) -> str:
    w = item.withdrawal
    simple = {
        "seq": str(number), "group": item.group or "", "category": item.category, "name": item.name,
        "content": cells.format_content(item.content),
        "basis": cells.format_basis((b.title, b.kind, b.number, b.articles) for b in item.basis),
        "timing": item.timing, "subject": item.subject, "channels": cells.format_channels(item.channels),
        "audience_all": TICK if item.audience == "全社会" else "",
        "audience_specific": (item.audience_group or TICK) if item.audience == "特定群体" else "",
        "mode_active": TICK if item.mode == "主动" else "",
        "mode_request": TICK if item.mode == "依申请" else "",
        "id": item.id, "keywords": "、".join(item.keywords), "notes": item.notes or "",
        "changes": "\n".join(f"{c.date.isoformat()}：{c.summary}" for c in item.changes),
        "status": "已撤销" if w else "有效",
        "withdrawn_on": w.on.isoformat() if w else "", "reason": w.reason if w else "",
        "replaced_by": (w.replaced_by or "") if w else "",
    }
    if key.startswith("level:"):
        return TICK if key[6:] in item.levels else ""
    return simple[key]


def _merges(items: Sequence[Item], columns: list[Column]) -> list[tuple[int, int, int]]:
    """Runs of consecutive rows sharing 一级事项 (and 类别), merged as published tables do."""
    merges = []
    for index, column in enumerate(columns):
        if column.key not in ("category", "group"):
            continue
        keys = [(i.group, i.category) if column.key == "category" else (i.group,) for i in items]
        start = 0
        for row in range(1, len(items) + 1):
            if row == len(items) or keys[row] != keys[start]:
                if row - 1 > start:
                    merges.append((start, row - 1, index))
                start = row
    return merges


# --- xlsx ----------------------------------------------------------------------------------

def sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:28] or "目录"
    candidate, n = base, 2
    while candidate in taken or candidate == INFO_SHEET:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def write_xlsx(catalogues: Sequence[Catalogue], levels: Sequence[str], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    body = Alignment(vertical="top", wrap_text=True)

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    info_rows = []
    for catalogue in catalogues:
        table = layout(catalogue, levels)
        sheet = book.create_sheet(sheet_name(catalogue.name, taken))
        info_rows.append([sheet.title, catalogue.id, catalogue.name, KIND_LABELS[catalogue.kind], catalogue.source,
                          catalogue.updated.isoformat(), catalogue.description or ""])
        width = len(table.columns)
        sheet.cell(1, 1, table.title).font = Font(bold=True, size=14)
        sheet.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        sheet.row_dimensions[1].height = 28
        # Two header rows: a group label spans its sub-columns; a single label spans both rows.
        col = 1
        while col <= width:
            column = table.columns[col - 1]
            span = 1
            while col + span <= width and column.sub and table.columns[col + span - 1].top == column.top:
                span += 1
            sheet.cell(2, col, column.top)
            if column.sub:
                for offset in range(span):
                    sheet.cell(3, col + offset, table.columns[col + offset - 1].sub)
                if span > 1:
                    sheet.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + span - 1)
            else:
                sheet.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
            col += span
        for r in (2, 3):
            for c in range(1, width + 1):
                cell = sheet.cell(r, c)
                cell.font, cell.fill, cell.alignment, cell.border = header_font, header_fill, centre, border
        for r, row in enumerate(table.rows, 4):
            for c, value in enumerate(row, 1):
                cell = sheet.cell(r, c, value if value else None)
                cell.border = border
                ticks = table.columns[c - 1].key.startswith(("audience_", "mode_", "level:", "seq"))
                cell.alignment = centre if ticks and len(value) <= 3 else body
        for first, last, index in table.merges:
            sheet.merge_cells(start_row=first + 4, start_column=index + 1, end_row=last + 4, end_column=index + 1)
        for c, column in enumerate(table.columns, 1):
            sheet.column_dimensions[get_column_letter(c)].width = column.width
        sheet.freeze_panes = "A4"
        sheet.print_title_rows = "2:3"
        sheet.page_setup.orientation = "landscape"
    info = book.create_sheet(INFO_SHEET)
    info.append(list(INFO_COLUMNS))
    for row in info_rows:
        info.append(row)
    for c, width in enumerate((14, 26, 16, 18, 36, 12, 40), 1):
        info.column_dimensions[get_column_letter(c)].width = width
        info.cell(1, c).font, info.cell(1, c).fill = header_font, header_fill
    info.freeze_panes = "A2"
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


# --- csv -----------------------------------------------------------------------------------

def csv_text(catalogue: Catalogue, levels: Sequence[str]) -> str:
    """One catalogue as csv: the title row, both header rows (a group label on its first
    column only, as a merged cell reads), then one row per item with 一级事项 on every row."""
    table = layout(catalogue, levels)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([table.title] + [""] * (len(table.columns) - 1))
    tops = [c.top if i == 0 or c.top != table.columns[i - 1].top else "" for i, c in enumerate(table.columns)]
    writer.writerow(tops)
    writer.writerow([c.sub for c in table.columns])
    writer.writerows(table.rows)
    return buffer.getvalue()


def write_csv(catalogue: Catalogue, levels: Sequence[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    # With a byte-order mark Excel and WPS open the file as UTF-8 instead of guessing GBK.
    out.write_bytes(csv_text(catalogue, levels).encode("utf-8-sig"))
