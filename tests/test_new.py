"""`gkml new`: scaffolding a catalogue or an item that validates at once, by prompts or flags."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator import standard_lists as std
from generator.scaffold import ScaffoldError, append_item, enable_in_site

from .conftest import MINI, ROOT, copy_catalog
from .helpers import Run, gkml

SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/catalogue.schema.json"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return copy_catalog(MINI, tmp_path / "catalog")


def answer(*args: str | Path, lines: list[str]) -> Run:
    """Run gkml with typed answers on standard input, as an editor at a terminal would."""
    result = subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, input="\n".join(lines) + "\n")
    return Run(result.returncode, result.stdout, result.stderr)


def validates(catalog: Path) -> None:
    run = gkml("validate", "--catalog", catalog)
    assert run.code == 0, run.stderr
    assert " error: " not in run.stderr


def test_new_item_by_flags_appends_text_and_keeps_comments(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    path.write_text("# 编辑说明：本文件由区教育局维护。\n" + path.read_text(encoding="utf-8").replace(
        "    notes: |", "    # 施教区每年调整\n    notes: |"), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    run = gkml("new", "item", "--catalog", catalog, "--catalogue", "compulsory-education", "--id", "edu-school-districts",
               "--category", "招生入学", "--name", "学区划分", "--content", "学区范围、对口学校",
               "--subject", "区教育局", "--channels", "政府网站、政务服务中心", "--levels", "县级", "--yes")
    assert run.code == 0, run.stderr
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before)                       # the old text is untouched, byte for byte
    data = yaml.safe_load(after)
    item = data["items"][-1]
    assert item["id"] == "edu-school-districts" and item["content"] == ["学区范围", "对口学校"]
    assert item["channels"] == ["政府网站", "政务服务中心"] and item["levels"] == ["县级"]
    assert item["basis"][0]["title"] == "中华人民共和国政府信息公开条例" and item["basis"][0]["kind"] == "行政法规"
    assert item["changes"] == [{"date": dt.date.today(), "summary": "新增"}]
    assert "# 一级事项" in after[len(before):]           # the new lines carry Chinese comments
    validates(catalog)


def test_new_item_refuses_an_id_used_anywhere_on_the_site(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    before = path.read_text(encoding="utf-8")
    run = gkml("new", "item", "--catalog", catalog, "--catalogue", "compulsory-education", "--id", "sa-dibao-guide",
               "--category", "招生入学", "--name", "重复", "--subject", "区教育局", "--yes")
    assert run.code == 2 and "sa-dibao-guide" in run.stderr and "已被使用" in run.stderr
    assert path.read_text(encoding="utf-8") == before


def test_new_item_suggests_a_free_id(catalog: Path) -> None:
    run = gkml("new", "item", "--catalog", catalog, "--catalogue", "social-assistance", "--category", "最低生活保障",
               "--name", "审核信息", "--subject", "街道办事处", "--yes")
    assert run.code == 0, run.stderr
    data = yaml.safe_load((catalog / "domains" / "social-assistance.yaml").read_text(encoding="utf-8"))
    new_id = data["items"][-1]["id"]
    assert new_id.startswith("sa-") and new_id not in ("sa-dibao-guide", "sa-dibao-old-guide")
    validates(catalog)


def test_new_item_by_prompts_asks_again_after_a_wrong_answer(catalog: Path) -> None:
    run = answer("new", "item", "--catalog", catalog, lines=[
        "compulsory-education",      # 加到哪个目录
        "招生入学",                   # 一级事项
        "转学办理",                   # 二级事项
        "Bad_Id",                    # 事项标识: refused …
        "edu-transfer",              # … and asked again
        "",                          # 公开内容: default (the item name)
        "",                          # 公开依据: default
        "",                          # 公开时限: default
        "区教育局",                   # 公开主体
        "微信群",                     # 渠道: refused (not declared) …
        "政府网站",                   # … and asked again
        "特定群体", "转学学生家长",     # 公开对象 and the group
        "依申请", "县级",
    ])
    assert run.code == 0, run.stderr
    assert "小写字母" in run.stderr and "微信群" in run.stderr
    item = yaml.safe_load((catalog / "domains" / "compulsory-education.yaml").read_text(encoding="utf-8"))["items"][-1]
    assert item["id"] == "edu-transfer" and item["audience"] == "特定群体" and item["audience_group"] == "转学学生家长"
    assert item["mode"] == "依申请" and item["content"] == ["转学办理"]
    validates(catalog)


def test_new_domain_offers_the_pilot_domains_and_writes_a_valid_file(catalog: Path) -> None:
    run = answer("new", "domain", "--catalog", catalog, "--updated", "2024-05-01", lines=[
        "16",                        # 领域: by its number in the list of 26
        "", "",                      # 名称, 编制依据: defaults
        "就业信息服务", "岗位信息发布", "", "", "", "", "区人力资源社会保障局", "", "", "", "",
    ])
    assert run.code == 0, run.stderr
    assert "employment" in run.stderr and "就业" in run.stderr and "26" in run.stderr
    assert all(slug in run.stderr for slug in std.PILOT_DOMAINS)
    path = catalog / "domains" / "employment.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == SCHEMA_LINE
    data = yaml.safe_load(text)
    assert data["id"] == "employment" and data["name"] == "就业" and data["updated"] == dt.date(2024, 5, 1)
    assert data["items"][0]["subject"] == "区人力资源社会保障局"
    assert "# 目录标识" in text and "gkml new item --catalogue employment" in text
    validates(catalog)


def test_new_community_by_flags_and_enable_in_site(catalog: Path) -> None:
    run = gkml("new", "community", "--catalog", catalog, "--id", "village-committee", "--name", "示例村村务公开目录",
               "--source", "中华人民共和国村民委员会组织法", "--updated", "2024-05-01", "--item-id", "cw-finance",
               "--item-name", "财务收支", "--group", "财务", "--category", "集体财务", "--subject", "村民委员会",
               "--channels", "居务公开栏", "--enable", "--yes")
    assert run.code == 0, run.stderr
    data = yaml.safe_load((catalog / "community" / "village-committee.yaml").read_text(encoding="utf-8"))
    assert data["kind"] == "community" and data["items"][0]["group"] == "财务"
    assert "audience" not in data["items"][0]
    site = yaml.safe_load((catalog / "site.yaml").read_text(encoding="utf-8"))
    assert site["community"] == ["neighbourhood-committee", "village-committee"]
    validates(catalog)
    built = gkml("build", "--catalog", catalog, "--out", catalog.parent / "site", "--content", catalog / "none")
    assert built.code == 0, built.stderr
    assert (catalog.parent / "site" / "items" / "cw-finance" / "index.html").is_file()


def test_new_refuses_an_existing_catalogue_and_missing_flags_with_yes(catalog: Path) -> None:
    run = gkml("new", "domain", "--catalog", catalog, "--id", "compulsory-education", "--yes")
    assert run.code == 2 and "已存在" in run.stderr
    run = gkml("new", "item", "--catalog", catalog, "--catalogue", "compulsory-education", "--yes")
    assert run.code == 2 and "--category" in run.stderr and "Traceback" not in run.stderr


def test_no_answers_cancels_without_writing(catalog: Path) -> None:
    before = sorted(p.name for p in (catalog / "domains").iterdir())
    run = answer("new", "domain", "--catalog", catalog, lines=[])
    assert run.code == 2 and "已取消" in run.stderr and "Traceback" not in run.stderr
    assert sorted(p.name for p in (catalog / "domains").iterdir()) == before


def test_append_item_after_a_last_item_with_block_text_and_trailing_comments() -> None:
    text = ("id: x\nitems:\n- id: a\n  notes: |\n    第一行\n\n    第二行\n# 结尾的说明\nupdated: 2024-01-01\n")
    item = {"id": "b", "category": "甲", "name": "乙", "content": ["丙"], "basis": [{"title": "丁", "kind": "其他"}],
            "timing": "及时", "subject": "戊", "channels": ["政府网站"]}
    result = append_item(text, item)
    data = yaml.safe_load(result)
    assert [i["id"] for i in data["items"]] == ["a", "b"]
    assert data["items"][0]["notes"] == "第一行\n\n第二行\n" and data["updated"] == dt.date(2024, 1, 1)
    assert "# 结尾的说明\n" in result


@pytest.mark.parametrize("site, expected", [
    ("domains: [a, b]\n", ["a", "b", "c"]),
    ("domains:\n  - a\n  # - d\n  - b\ncommunity: []\n", ["a", "b", "c"]),
    ("title: t\n", ["c"]),
])
def test_enable_in_site_edits_flow_and_block_lists(site: str, expected: list[str]) -> None:
    result = enable_in_site(site, "domains", "c")
    assert result is not None and yaml.safe_load(result)["domains"] == expected
    assert enable_in_site(result, "domains", "c") is None


@pytest.mark.parametrize("site, reason", [
    ("domains: 5\n", "site.yaml 中的 domains 应为列表"),
    ("- a\n- b\n", "site.yaml 应为“键: 值”形式的映射"),
    ("domains: [a, b\n", "site.yaml 有 YAML 语法错误"),
])
def test_enable_in_site_explains_a_site_file_it_cannot_edit(site: str, reason: str) -> None:
    with pytest.raises(ScaffoldError, match=reason):
        enable_in_site(site, "domains", "c")


def test_new_with_enable_and_a_broken_site_file_creates_the_catalogue_and_says_why(catalog: Path) -> None:
    (catalog / "site.yaml").write_text("- 不是映射\n", encoding="utf-8")
    run = gkml("new", "community", "--catalog", catalog, "--id", "village-committee", "--name", "示例村村务公开目录",
               "--source", "中华人民共和国村民委员会组织法", "--updated", "2024-05-01", "--item-id", "cw-finance",
               "--item-name", "财务收支", "--group", "财务", "--category", "集体财务", "--subject", "村民委员会",
               "--channels", "政府网站", "--enable", "--yes")
    assert run.code == 0 and "Traceback" not in run.stderr
    assert "未能自动启用：site.yaml 应为“键: 值”形式的映射" in run.stderr
    assert (catalog / "community" / "village-committee.yaml").is_file()
