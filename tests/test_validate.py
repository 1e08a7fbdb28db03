"""`gkml validate`: every rule reported as PATH:LINE:COL: error: 中文消息, all in one run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .conftest import MINI
from .helpers import gkml, line_of, replace_in

PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning): (?P<message>.+)$")


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(MINI, target)
    return target


def errors(catalog: Path) -> list[re.Match[str]]:
    run = gkml("validate", "--catalog", catalog, "--content", catalog / "none")
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr
    matches = [PROBLEM_LINE.match(line) for line in run.lines[:-1]]
    assert all(matches), run.stderr
    return [m for m in matches if m and m["severity"] == "error"]


def test_shipped_mini_catalogue_is_valid(catalog: Path) -> None:
    run = gkml("validate", "--catalog", catalog)
    assert run.code == 0, run.stderr
    assert "校验通过" in run.stderr


def test_misspelt_key_is_an_error_with_a_suggestion(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "items:", "itmes:")
    found = errors(catalog)
    typo = [m for m in found if "itmes" in m["message"]]
    assert typo and int(typo[0]["line"]) == line_of(path, "itmes:") and typo[0]["col"] == "1"
    assert "是否应为“items”" in typo[0]["message"]
    assert any("缺少必填字段“items”" in m["message"] for m in found)


def test_missing_required_field_names_the_key_and_its_chinese_title(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "    subject: 区教育局\n", "")
    found = errors(catalog)
    assert any("缺少必填字段“subject”（公开主体）" in m["message"] for m in found)
    line = int(next(m for m in found if "subject" in m["message"])["line"])
    assert line == line_of(path, "id: edu-enrolment-policy")


def test_value_outside_the_standard_list_is_named_with_its_line(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "    mode: 主动\n", "    mode: 主动公开\n")
    replace_in(path, "channels: [政府网站, 两微一端, 公开查阅点]", "channels: [政府网站, 微信公众号]")
    found = errors(catalog)
    mode = next(m for m in found if "“mode”" in m["message"])
    assert int(mode["line"]) == line_of(path, "mode: 主动公开")
    assert "“主动公开”不在允许范围内" in mode["message"] and "主动、依申请" in mode["message"]
    channel = next(m for m in found if "微信公众号" in m["message"])
    assert int(channel["line"]) == line_of(path, "微信公众号") and "site.yaml" in channel["message"]


def test_bad_id_form_and_duplicate_ids_across_files(catalog: Path) -> None:
    edu = catalog / "domains" / "compulsory-education.yaml"
    sa = catalog / "domains" / "social-assistance.yaml"
    replace_in(edu, "id: edu-catchment", "id: Edu_Catchment")
    replace_in(sa, "id: sa-dibao-guide", "id: edu-enrolment-policy")
    replace_in(sa, "replaced_by: sa-dibao-guide", "replaced_by: edu-enrolment-policy")
    found = errors(catalog)
    bad = next(m for m in found if "Edu_Catchment" in m["message"])
    assert int(bad["line"]) == line_of(edu, "Edu_Catchment") and "小写字母" in bad["message"]
    dup = next(m for m in found if "重复" in m["message"])
    assert dup["path"].endswith("social-assistance.yaml")
    assert f"compulsory-education.yaml 第 {line_of(edu, 'id: edu-enrolment-policy')} 行" in dup["message"]


def test_catalogue_id_must_equal_file_name(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "id: compulsory-education", "id: education")
    found = errors(catalog)
    assert any("与文件名“compulsory-education.yaml”不一致" in m["message"] and m["line"] == "1" for m in found)


def test_replaced_by_must_point_at_a_real_item(catalog: Path) -> None:
    path = catalog / "domains" / "social-assistance.yaml"
    replace_in(path, "replaced_by: sa-dibao-guide", "replaced_by: sa-dibao-guid")
    found = errors(catalog)
    ref = next(m for m in found if "replaced_by" in m["message"])
    assert int(ref["line"]) == line_of(path, "replaced_by:")
    assert "不存在的事项“sa-dibao-guid”" in ref["message"] and "sa-dibao-guide" in ref["message"]


def test_withdrawn_item_needs_date_and_reason(catalog: Path) -> None:
    path = catalog / "domains" / "social-assistance.yaml"
    replace_in(path, "    withdrawn_on: 2021-01-01\n", "")
    found = errors(catalog)
    assert any("withdrawn_on（撤销日期）" in m["message"] for m in found)


def test_wrong_types_are_explained(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "updated: 2022-09-30", "updated: 2022年9月30日")
    replace_in(path, "content: [招生范围, 招生对象, 招生程序]", "content: 招生范围")
    found = errors(catalog)
    assert any("“updated”（修订时间）应为日期" in m["message"] for m in found)
    assert any("“content”（公开内容（要素））应为列表" in m["message"] for m in found)


def test_every_problem_is_reported_in_one_run(catalog: Path) -> None:
    replace_in(catalog / "domains" / "compulsory-education.yaml", "    mode: 主动\n", "    mode: 其它\n")
    replace_in(catalog / "domains" / "social-assistance.yaml", "kind: domain", "kind: domian")
    replace_in(catalog / "community" / "neighbourhood-committee.yaml", "    subject: 居民委员会\n", "", )
    (catalog / "domains" / "broken.yaml").write_text("id: broken\nname: [未闭合\n", encoding="utf-8")
    found = errors(catalog)
    files = {Path(m["path"]).name for m in found}
    assert files >= {"compulsory-education.yaml", "social-assistance.yaml", "neighbourhood-committee.yaml",
                     "broken.yaml"}


def test_syntax_error_points_at_the_line(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "    subject: 区教育局\n", "    subject: 区教育局: 招生办\n")
    found = errors(catalog)
    assert any(m["path"].endswith("compulsory-education.yaml") and int(m["line"]) == line_of(path, "招生办")
               and "YAML 语法错误" in m["message"] for m in found)


def test_site_enables_a_missing_catalogue(catalog: Path) -> None:
    replace_in(catalog / "site.yaml", "domains: [compulsory-education, social-assistance]",
               "domains: [compulsory-education, social-assistance, health]")
    found = errors(catalog)
    assert any("catalog/domains/health.yaml" in m["message"] and m["path"].endswith("site.yaml") for m in found)


def test_base_url_must_be_absolute_https(catalog: Path) -> None:
    replace_in(catalog / "site.yaml", "https://example.gov.cn/gkml/", "example.gov.cn/gkml")
    found = errors(catalog)
    assert any("https://" in m["message"] and m["path"].endswith("site.yaml") for m in found)


def test_document_number_is_normalised_with_a_warning(catalog: Path) -> None:
    run = gkml("validate", "--catalog", catalog)
    assert run.code == 0
    assert any("warning:" in line and "国发〔2012〕45号" in line for line in run.lines)
    strict = gkml("validate", "--strict", "--catalog", catalog)
    assert strict.code == 1


def test_missing_catalog_folder_is_a_usage_error(tmp_path: Path) -> None:
    run = gkml("validate", "--catalog", tmp_path / "nowhere")
    assert run.code == 2
    assert "找不到目录数据文件夹" in run.stderr and "Traceback" not in run.stderr


def test_a_repeated_item_is_reported_with_the_line_of_the_first(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "    name: 招生范围\n", "    name: 招生入学政策\n")
    run = gkml("validate", "--catalog", catalog)
    found = [m for m in map(PROBLEM_LINE.match, run.lines) if m and "在本目录中重复" in m["message"]]
    assert len(found) == 1 and found[0]["severity"] == "warning"
    lines = path.read_text(encoding="utf-8").splitlines()
    second = [n for n, line in enumerate(lines, 1) if line == "    name: 招生入学政策"][1]
    assert (int(found[0]["line"]), found[0]["col"]) == (second, "11")
    assert f"（第 {line_of(path, 'id: edu-enrolment-policy')} 行已有）" in found[0]["message"]


def test_problems_inside_lists_point_at_the_element(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "channels: [政府网站, 两微一端, 公开查阅点]", "channels: [政府网站, 两微一瑞, 政府网站]")
    run = gkml("validate", "--catalog", catalog)
    found = [m for m in map(PROBLEM_LINE.match, run.lines) if m]
    line = line_of(path, "两微一瑞")
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    wrong = [m for m in found if "两微一瑞" in m["message"]]
    assert wrong and (int(wrong[0]["line"]), int(wrong[0]["col"])) == (line, text.index("两微一瑞") + 1)
    repeated = [m for m in found if "中“政府网站”重复" in m["message"]]
    assert repeated and (int(repeated[0]["line"]), int(repeated[0]["col"])) == (line, text.rindex("政府网站") + 1)


def test_a_date_that_does_not_exist_is_an_error_at_its_place(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI, catalog)
    replace_in(catalog / "domains" / "compulsory-education.yaml", "updated: 2022-09-30", "updated: 2022-13-30")
    run = gkml("validate", "--catalog", catalog)
    assert run.code == 1
    assert "/domains/compulsory-education.yaml:5:10: error: “2022-13-30”不是有效的日期" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_mapping_or_list_where_text_belongs_is_an_error_at_its_place(catalog: Path) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, "content: [招生范围, 招生对象, 招生程序]", "content: [{招生范围: 全区}, {招生范围: 全区}, [招生对象]]")
    found = errors(catalog)
    line = line_of(path, "{招生范围: 全区}")
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    mapping = [m for m in found if "不能是“键: 值”形式的映射" in m["message"]]
    assert [(int(m["line"]), int(m["col"])) for m in mapping] == [(line, text.index("{") + 1),
                                                                  (line, text.rindex("{") + 1)]
    assert "“content”（公开内容（要素））应为文本" in mapping[0]["message"]
    assert any("不能是列表" in m["message"] and int(m["col"]) == text.index("[招生对象]") + 1 for m in found)


# --- the quick check of a valid file (validate._clean) ----------------------------------------

#: Edits to the mini catalogue's first item: each makes the general checks report something.
EDITS = [
    ("    subject: 区教育局\n", ""),                                    # a required field missing
    ("    subject: 区教育局\n", "    subject: ''\n"),                   # … empty
    ("    subject: 区教育局\n", "    subject: '  '\n"),                 # … blank
    ("    mode: 主动\n", "    mode: 主动公开\n"),                       # not a listed value
    ("    mode: 主动\n", "    mode: 1\n"),                              # not text
    ("    mode: 主动\n", "    mode: 主动\n    mood: 好\n"),             # an unknown key
    ("    name: 招生入学政策\n", "    name: \"招生\\n入学政策\"\n"),    # two lines in a one-line field
    ("  - id: edu-enrolment-policy\n", "  - id: Edu_Policy\n"),         # a malformed id
    ("updated: 2022-09-30", "updated: '2022-09-30'"),                   # a date written as text
    ("updated: 2022-09-30", "updated: 2022-09-30 10:00:00"),            # a date and time
    ("content: [招生范围, 招生对象, 招生程序]", "content: [招生范围, 招生范围]"),   # a repeated element
    ("content: [招生范围, 招生对象, 招生程序]", "content: [招生范围, 3]"),          # an element not text
    ("content: [招生范围, 招生对象, 招生程序]", "content: 招生范围"),               # not a list
    ("channels: [政府网站, 两微一端, 公开查阅点]", "channels: [政府网站, 网站]"),   # an element not listed
    ("        kind: 法律\n", "        kind: 法规\n"),                                # in a list of mappings
    ("        kind: 法律\n", "        kind: 法律\n        page: 3\n"),
    ("      - title: 中华人民共和国义务教育法\n        kind: 法律\n", "      - 中华人民共和国义务教育法\n"),
    ("      - date: 2022-09-30\n", "      - date: 2022-09-31x\n"),
]


def _problems(path: Path, quick: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    from generator import validate
    from generator.problems import Problems
    from generator.yaml_source import load

    site = load(path.parent.parent / "site.yaml").data
    problems = Problems()
    with monkeypatch.context() as patch:
        if not quick:
            patch.setattr(validate, "_clean", lambda data, rules: False)
        validate.check_catalogue("domain", load(path), validate.site_vocabulary(site), problems)
    return [(p.severity, p.position, p.message) for p in problems.items]


@pytest.mark.parametrize("old, new", EDITS)
def test_the_quick_check_reports_what_the_general_checks_report(catalog: Path, old: str, new: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = catalog / "domains" / "compulsory-education.yaml"
    replace_in(path, old, new)
    general = _problems(path, False, monkeypatch)
    assert general, "each edit is one the general checks report"
    assert _problems(path, True, monkeypatch) == general


def test_a_valid_file_passes_the_quick_check_alone(catalog: Path) -> None:
    from generator import fields, validate
    from generator.yaml_source import load

    site = load(catalog / "site.yaml").data
    for kind, folder in (("domain", "domains"), ("community", "community")):
        for path in sorted((catalog / folder).glob("*.yaml")):
            data = load(path).data
            assert validate._clean(data, validate._rules(fields.CATALOGUE_FIELDS, kind, validate.site_vocabulary(site)))


@pytest.mark.parametrize("file, old, new, message", [
    ("domains/compulsory-education.yaml", "items:\n", "items: 5\nold_items:\n", "“items”（公开事项）应为列表"),
    ("domains/compulsory-education.yaml", "    basis:\n      - title: 中华人民共和国义务教育法\n        kind: 法律\n"
     "      - title: 中华人民共和国政府信息公开条例\n        kind: 行政法规\n        number: 国务院令第711号\n",
     "    basis: 2024-01-01\n", "“basis”（公开依据）应为列表"),
    ("site.yaml", "channels: [居务公开栏, 社区云]", "channels: 2024-01-01", "“channels”"),
    ("site.yaml", "levels: [县级, 乡级]", "levels: 3.5", "“levels”"),
])
def test_a_value_of_the_wrong_shape_is_reported_not_a_crash(catalog: Path, file: str, old: str, new: str,
                                                            message: str) -> None:
    replace_in(catalog / file, old, new)
    found = errors(catalog)
    assert any(message in m["message"] and m["path"].endswith(file.split("/")[-1]) for m in found), \
        [m["message"] for m in found]
