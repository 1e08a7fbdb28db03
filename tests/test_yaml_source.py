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
