"""Reading YAML safely: positions kept, hostile or broken files refused with a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.yaml_source import MAX_BYTES, YamlSourceError, parse


def test_positions_of_keys_and_values_are_kept() -> None:
    doc = parse(Path("a.yaml"), "id: x\nitems:\n  - name: 甲\n    content: [a, b]\n".encode())
    assert doc.at(("items", 0, "name")).line == 3
    assert doc.at(("items", 0, "name")).col == 11
    assert doc.key_at(("items", 0, "content")).line == 4
    assert doc.key_at(("items", 0, "content")).col == 5
    assert doc.at(("items", 0, "content", 1)).col == 18


def test_alias_bomb_is_refused_before_expansion() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    with pytest.raises(YamlSourceError) as info:
        parse(Path("bomb.yaml"), bomb.encode())
    assert "别名" in info.value.message
    assert info.value.position.line == 2


def test_duplicate_keys_are_errors_not_silently_overwritten() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), "name: 甲\nkind: domain\nname: 乙\n".encode())
    assert "“name”重复" in info.value.message
    assert (info.value.position.line, info.value.position.col) == (3, 1)


def test_non_utf8_file_is_refused_with_the_position_of_the_bad_byte() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("gbk.yaml"), "id: x\nname: 义务教育\n".encode("gbk"))
    assert "UTF-8" in info.value.message
    assert info.value.position.line == 2


def test_oversized_file_is_refused() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("big.yaml"), b"#" * (MAX_BYTES + 1))
    assert "文件过大" in info.value.message


def test_tab_indentation_gets_a_chinese_explanation_and_position() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), "items:\n\t- id: x\n".encode())
    assert "Tab" in info.value.message
    assert info.value.position.line == 2


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("deep.yaml"), ("[" * 200 + "]" * 200).encode())
    assert "嵌套" in info.value.message


def test_utf8_bom_is_accepted() -> None:
    assert parse(Path("a.yaml"), "\ufeffid: x\n".encode()).data == {"id": "x"}


def test_scalars_get_the_types_pyyaml_gives_them() -> None:
    """The quicker resolver answers as PyYAML's own SafeLoader does, for text and for the rest."""
    import yaml

    values = ["区教育局", "name", "title", "n", "no", "No", "off", "On", "y", "yes", "true", "False", "~", "null",
              "Null", "", "'0'", '"yes"', "0", "-1", "+7", "0x1F", "0o17", "017", "1_000", "1.5", "-.5", ".inf",
              "-.Inf", ".NaN", "1e3", "1.0e+3", "190:20:30", "2024-01-01", "2024-1-1", "2024-01-01 10:00:00",
              "2024-01-01T10:00:00Z", "= x", "<< x", "!!str 12", "!!int '12'", "! 12", "事项 2024-01-01",
              "t", "tea", "nothing", "--", ".", "., x", "0 号"]
    text = "".join(f"k{i}: {v}\n" for i, v in enumerate(values))
    text += "list: [yes, 1, 区, '2', 2024-02-03, ~]\n"
    assert parse(Path("a.yaml"), text.encode()).data == yaml.load(text, Loader=yaml.SafeLoader)


def test_positions_in_a_long_mapping_and_of_the_nearest_written_ancestor() -> None:
    text = "".join(f"k{i}: v{i}\n" for i in range(30)) + "items:\n  - id: a\n    content: [x, y]\n"
    doc = parse(Path("a.yaml"), text.encode())
    assert tuple(doc.at(("k29",))) == (30, 6)
    assert tuple(doc.key_at(("k29",))) == (30, 1)
    assert tuple(doc.at(("items", 0, "content", 1))) == (33, 18)
    assert tuple(doc.at(("items", 0, "missing", 3))) == (32, 5)     # the item, the nearest written ancestor
    assert tuple(doc.at(("items", 5))) == (32, 3)                     # the list itself
    assert tuple(doc.key_at(("items", 0, "missing"))) == (32, 5)
    assert tuple(doc.at(("k1", "below", "a scalar"))) == (2, 5)
    assert tuple(doc.at(())) == (1, 1)
    assert tuple(parse(Path("e.yaml"), b"").at(("x",))) == (1, 1)


def test_a_duplicate_key_names_the_line_of_the_first() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), "items:\n  - id: a\n    name: 甲\n    kind: x\n    name: 乙\n".encode())
    assert "“name”重复（第 3 行已有）" in info.value.message
    assert tuple(info.value.position) == (5, 5)


def test_an_alias_is_reported_where_it_is_used() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), b"a: &x [1, 2]\nb:\n  c: *x\n")
    assert tuple(info.value.position) == (3, 3)
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), b"a: &x {b: 1}\nlist:\n  - 1\n  - *x\n")
    assert tuple(info.value.position) == (3, 3)


def test_merge_keys_and_complex_keys_are_refused() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), b"a: 1\n<<: {b: 2}\n")
    assert "合并键" in info.value.message and tuple(info.value.position) == (2, 1)
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), b"a: 1\n? [b]\n: 2\n")
    assert "键必须是简单文本" in info.value.message and tuple(info.value.position) == (2, 3)


def test_each_element_of_a_list_has_its_position() -> None:
    doc = parse(Path("a.yaml"), b"items:\n  - id: a\n  -   id: b\nname: x\n")
    assert doc.each_at(("items",)) == [doc.at(("items", 0)), doc.at(("items", 1))] == [(2, 5), (3, 7)]
    assert doc.each_at(("name",)) == [] and doc.each_at(("missing",)) == []


def test_a_value_that_does_not_fit_its_tag_is_an_error_not_a_crash() -> None:
    """PyYAML's constructors raise IndexError, binascii errors … on such values."""
    for text, shown in (('k: !!int ""\n', "“”不能按 YAML 标记“int”读取"), ("k: !!float abc\n", "“abc”不能按 YAML 标记“float”读取"),
                        ("k: 2024-13-01\n", "不是有效的日期")):
        with pytest.raises(YamlSourceError) as info:
            parse(Path("a.yaml"), text.encode())
        assert shown in info.value.message and tuple(info.value.position) == (1, 4), text


def test_an_alias_of_a_scalar_is_refused_too() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), "name: &n 招生\nother: *n\n".encode())
    assert "别名" in info.value.message and tuple(info.value.position) == (2, 1)


def test_a_second_document_is_refused() -> None:
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), b"id: a\n---\nid: b\n")
    assert info.value.message.startswith("YAML 语法错误") and info.value.position.line == 2


def test_the_first_problem_written_is_the_one_reported() -> None:
    """Values are read in the order they are written: a bad date before a syntax error below it."""
    with pytest.raises(YamlSourceError) as info:
        parse(Path("a.yaml"), "a: 2024-13-01\nb: [1, 2\n".encode())
    assert "日期" in info.value.message and info.value.position.line == 1
