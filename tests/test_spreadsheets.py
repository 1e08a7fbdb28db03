"""`gkml import` / `gkml export`: the published table layout editors keep in Excel, both ways."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from generator import standard_lists as std
from generator.load import load_sources
from generator.model import Catalogue, all_catalogues
from generator.problems import Problems
from generator.sheet_cells import parse_basis, parse_channels
from generator.validate import validate_sources

from .conftest import MINI, ROOT, copy_catalog
from .helpers import gkml

WARNING = re.compile(r"^(?P<file>[^:]+\.(?:xlsx|csv)):(?P<sheet>[^!]+)!(?P<cell>[A-Z]+\d+): warning: (?P<message>.+)$")


def published_sheet(path: Path) -> Path:
    """A catalogue laid out as district sites publish them: title row, two-row header with
    merged group labels, 一级事项 merged over its rows, ■/□ checklists and √ ticks."""
    book = Workbook()
    sheet = book.active
    sheet.title = "义务教育"
    sheet["A1"] = "测试区义务教育领域基层政务公开标准目录"
    sheet.merge_cells("A1:O1")
    top = ["序号", "公开事项", None, "公开内容（要素）", "公开依据", "公开时限", "公开主体", "公开渠道和载体",
           "公开对象", None, "公开方式", None, "公开层级", None, "相应领域"]
    sub = [None, "一级事项", "二级事项", None, None, None, None, None, "全社会", "特定群众", "主动", "依申请公开",
           "县级", "乡级", None]
    for col, (a, b) in enumerate(zip(top, sub), 1):
        sheet.cell(2, col, a)
        sheet.cell(3, col, b)
    for single in "ADEFGHO":
        sheet.merge_cells(f"{single}2:{single}3")
    for group in ("B2:C2", "I2:J2", "K2:L2", "M2:N2"):
        sheet.merge_cells(group)
    rows = [
        [1, "招生入学", "招生政策", "1.招生范围\n2.招生对象",
         "【法律】《中华人民共和国义务教育法》(主席令第五十二号)、《中华人民共和国政府信息公开条例》（国务院令第711号）",
         "自信息形成或者变更之日起20个工作日内", "区教育局",
         "■政府网站 □政府公报 ■两微一端 □发布会/听证会 □广播电视 □纸质媒体 口公开查阅点", "√", None, "√", None, "√", "√",
         "教育"],
        [2, None, "招生范围", "各学校施教区",
         "《国务院关于进一步加强和改进最低生活保障工作的意见》（国发[2012]45号）", "自信息形成或者变更之日起20个工作日内",
         "区教育局", "政府网站、行政服务中心", None, "项目单位", "√", None, "√", "√", None],
        [3, "学籍管理", "转学", "转出、转入", "同上", "自收到申请之日起20个工作日内", "区教育局、学校",
         "t政府网站 口政府公报 ▄便民服务站 ■居务公开栏", "√", None, None, "√", None, "√", None],
    ]
    for r, row in enumerate(rows, 4):
        for c, value in enumerate(row, 1):
            sheet.cell(r, c, value)
    sheet.merge_cells("B4:B5")
    sheet["A7"] = "注：本目录由区政务公开办编制。"
    sheet.merge_cells("A7:O7")
    book.save(path)
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return copy_catalog(MINI, tmp_path / "catalog")


def warnings_of(stderr: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in map(WARNING.match, stderr.splitlines()) if m]


def test_import_reads_the_published_layout(catalog: Path, tmp_path: Path) -> None:
    sheet = published_sheet(tmp_path / "published.xlsx")
    (catalog / "domains" / "compulsory-education.yaml").unlink()
    run = gkml("import", sheet, "--catalog", catalog, "--updated", "2024-03-01")
    assert run.code == 0, run.stderr
    path = catalog / "domains" / "compulsory-education.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../../schema/catalogue.schema.json"
    data = yaml.safe_load(text)
    assert data["id"] == "compulsory-education" and data["name"] == "义务教育" and data["kind"] == "domain"
    first, second, third = data["items"]
    assert [i["category"] for i in data["items"]] == ["招生入学", "招生入学", "学籍管理"]   # merged cell carried
    assert first["content"] == ["招生范围", "招生对象"] and second["content"] == ["各学校施教区"]
    assert first["basis"] == [
        {"title": "中华人民共和国义务教育法", "kind": "法律", "number": "主席令第五十二号"},
        {"title": "中华人民共和国政府信息公开条例", "kind": "行政法规", "number": "国务院令第711号"},
    ]
    assert second["basis"] == [{"title": "国务院关于进一步加强和改进最低生活保障工作的意见", "kind": "规范性文件",
                                "number": "国发〔2012〕45号"}]
    assert third["basis"] == second["basis"]                                  # “同上”
    assert first["channels"] == ["政府网站", "两微一端"]
    assert second["channels"] == ["政府网站", "政务服务中心"]                   # plain list, alias mapped
    assert third["channels"] == ["政府网站", "便民服务站", "居务公开栏"]        # t ▄ ■ chosen, 口 not
    assert first["audience"] == "全社会" and "audience_group" not in first
    assert second["audience"] == "特定群体" and second["audience_group"] == "项目单位"
    assert [i["mode"] for i in data["items"]] == ["主动", "主动", "依申请"]
    assert [i["levels"] for i in data["items"]] == [["县级", "乡级"], ["县级", "乡级"], ["乡级"]]
    assert [i["id"] for i in data["items"]] == ["compulsory-education-1", "compulsory-education-2",
                                                "compulsory-education-3"]
    (catalog / "ids.lock").unlink(missing_ok=True)   # this sheet's items replace the fixture's, ids and all
    assert gkml("validate", "--catalog", catalog).code == 0


def test_import_reports_every_unmapped_cell_with_sheet_and_cell(catalog: Path, tmp_path: Path) -> None:
    sheet = published_sheet(tmp_path / "published.xlsx")
    run = gkml("import", sheet, "--catalog", catalog, "--out", tmp_path / "out.yaml", "--updated", "2024-03-01")
    found = warnings_of(run.stderr)
    assert found and all(w["file"] == "published.xlsx" and w["sheet"] == "义务教育" for w in found)
    by_cell = {w["cell"]: w["message"] for w in found}
    assert "相应领域" in by_cell["O2"]                       # an unknown column …
    assert "教育" in by_cell["O4"]                           # … and each of its cells
    assert "推定为“行政法规”" in by_cell["E4"]                # kind guessed from 国务院令
    assert "同上" in by_cell["E6"]
    assert "注：本目录" in by_cell["A7"]                      # a merged note row is skipped, and said so
    assert any("没有事项标识" in m and "compulsory-education-1" in m for m in by_cell.values())
    assert "Traceback" not in run.stderr


def test_import_is_stable_and_keeps_published_ids(catalog: Path, tmp_path: Path) -> None:
    sheet = published_sheet(tmp_path / "published.xlsx")
    (catalog / "domains" / "compulsory-education.yaml").unlink()
    assert gkml("import", sheet, "--catalog", catalog, "--updated", "2024-03-01").code == 0
    path = catalog / "domains" / "compulsory-education.yaml"
    first = path.read_text(encoding="utf-8")
    refused = gkml("import", sheet, "--catalog", catalog, "--updated", "2024-03-01")
    assert refused.code == 2 and "--force" in refused.stderr
    assert gkml("import", sheet, "--catalog", catalog, "--updated", "2024-03-01", "--force").code == 0
    assert path.read_text(encoding="utf-8") == first          # same sheet, same file
    # The editor renames the generated ids; importing the sheet again keeps them.
    path.write_text(first.replace("compulsory-education-2", "edu-catchment-areas"), encoding="utf-8")
    assert gkml("import", sheet, "--catalog", catalog, "--updated", "2024-03-01", "--force").code == 0
    ids = [i["id"] for i in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]]
    assert ids == ["compulsory-education-1", "edu-catchment-areas", "compulsory-education-3"]


def test_export_writes_the_published_layout(tmp_path: Path) -> None:
    out = tmp_path / "mini.xlsx"
    run = gkml("export", "--catalog", MINI, "--out", out)
    assert run.code == 0, run.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["义务教育", "社会救助", "居务公开目录", "目录信息"]
    sheet = book["义务教育"]
    assert sheet["A1"].value == "义务教育领域基层政务公开标准目录"
    assert [sheet.cell(2, c).value for c in range(1, 4)] == ["序号", "公开事项", None]
    assert [sheet.cell(3, c).value for c in (2, 3)] == ["一级事项", "二级事项"]
    merged = {str(m) for m in sheet.merged_cells.ranges}
    assert {f"A1:{get_column_letter(sheet.max_column)}1", "B2:C2", "A2:A3", "B4:B5"} <= merged
    headers, top = {}, None
    for column in range(1, sheet.max_column + 1):
        sub = sheet.cell(3, column).value
        top = sheet.cell(2, column).value or (top if sub else None)    # a merged group label
        headers[(top, sub)] = column
    channels = sheet.cell(4, headers[("公开渠道和载体", None)]).value
    assert channels.splitlines()[:3] == ["■政府网站", "□政府公报", "■两微一端"]
    assert len(channels.splitlines()) == len(std.STANDARD_CHANNELS)
    assert sheet.cell(4, headers[("公开对象", "全社会")]).value == "√"
    assert sheet.cell(4, headers[("公开层级", "县级")]).value == "√" and sheet.cell(4, headers[("公开层级", "乡级")]).value is None
    assert sheet.cell(4, headers[("事项标识", None)]).value == "edu-enrolment-policy"
    assert sheet.freeze_panes == "A4"
    assert sheet["A2"].font.bold and sheet.cell(4, 4).alignment.wrap_text
    assert sheet.column_dimensions["D"].width >= 20
    info = book["目录信息"]
    assert [c.value for c in info[2]][:6] == ["义务教育", "compulsory-education", "义务教育", "领域目录",
                                              "义务教育领域基层政务公开标准指引", "2022-09-30"]


def _catalogues(root: Path) -> dict[str, Catalogue]:
    """Every catalogue file as the model sees it, minus where each item happens to be written."""
    result = {}
    for catalogue in all_catalogues(load_sources(root, Problems())):
        items = tuple(dataclasses.replace(i, source_path=Path(), source_line=0,
                                          channels=tuple(sorted(i.channels))) for i in catalogue.items)
        result[catalogue.id] = dataclasses.replace(catalogue, items=items, source_path=Path())
    return result


def _round_trip(original: Path, tmp_path: Path) -> None:
    source = copy_catalog(original, tmp_path / "source")   # a snapshot: others may be editing catalog/
    out = tmp_path / "all.xlsx"
    assert gkml("export", "--catalog", source, "--out", out).code == 0
    target = tmp_path / "catalog"
    shutil.copytree(source, target)
    for path in [*target.glob("domains/*.yaml"), *target.glob("community/*.yaml")]:
        path.unlink()
    run = gkml("import", out, "--catalog", target)
    assert run.code == 0, run.stderr
    assert not warnings_of(run.stderr), run.stderr
    assert _catalogues(target) == _catalogues(source)
    first_lines = {p.read_text(encoding="utf-8").splitlines()[0] for p in target.glob("*/*.yaml")}
    assert first_lines == {"# yaml-language-server: $schema=../../schema/catalogue.schema.json"}


def test_export_then_import_gives_the_same_catalogue(tmp_path: Path) -> None:
    _round_trip(MINI, tmp_path)


def test_round_trip_of_every_shipped_catalogue(tmp_path: Path) -> None:
    problems = Problems()
    validate_sources(load_sources(ROOT / "catalog", problems), problems)
    if problems.errors:
        pytest.skip("the shipped catalogue does not validate yet")
    _round_trip(ROOT / "catalog", tmp_path)


def test_csv_round_trip(tmp_path: Path) -> None:
    for catalogue in _catalogues(MINI).values():
        out = tmp_path / f"{catalogue.id}.csv"
        assert gkml("export", "--catalog", MINI, "--format", "csv", "--catalogue", catalogue.id, "--out", out).code == 0
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")       # Excel opens it as UTF-8
        back = tmp_path / f"{catalogue.id}.yaml"
        run = gkml("import", out, "--catalog", MINI, "--out", back, "--id", catalogue.id, "--kind", catalogue.kind,
                   "--updated", catalogue.updated.isoformat())
        assert "error" not in run.stderr, run.stderr
        data = yaml.safe_load(back.read_text(encoding="utf-8"))
        original = yaml.safe_load(catalogue.source_path.read_text(encoding="utf-8") if catalogue.source_path.name
                                  else (MINI / ("domains" if catalogue.kind == "domain" else "community")
                                        / f"{catalogue.id}.yaml").read_text(encoding="utf-8"))
        assert [i["id"] for i in data["items"]] == [i["id"] for i in original["items"]]
        assert [i["name"] for i in data["items"]] == [i["name"] for i in original["items"]]


def test_export_of_a_broken_catalogue_fails_with_problems(catalog: Path, tmp_path: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("mode: 主动\n", "mode: 主动公开\n", 1), encoding="utf-8")
    run = gkml("export", "--catalog", catalog, "--out", tmp_path / "x.xlsx")
    assert run.code == 1 and "compulsory-education.yaml:" in run.stderr and not (tmp_path / "x.xlsx").exists()


def test_cell_parsers_handle_published_variants() -> None:
    known = std.STANDARD_CHANNELS
    parsed = parse_channels("■政府网站 ■微信群 □纸质媒体 ■其他（公开栏）", known)
    assert parsed.chosen == ["政府网站", "微信群", "其他"] and len(parsed.warnings) == 2
    assert parse_channels("口政府网站口政务服务中心t政府公报", known).chosen == ["政府公报"]
    assert parse_basis("《最低生活保障审核审批办法（试行）》").basis[0]["kind"] == "部门规章"
    assert parse_basis("《上海市居民委员会工作条例》").basis[0]["kind"] == "地方性法规"
    assert parse_basis("《财政部关于印发〈地方预决算公开操作规程〉的通知》（财预〔2016〕143号）").basis[0]["kind"] == "规范性文件"
    nested = parse_basis("《关于印发《实施方案》的通知》（国办发﹝2019﹞54 号）").basis[0]
    assert nested == {"title": "关于印发《实施方案》的通知", "kind": "规范性文件", "number": "国办发〔2019〕54号"}
