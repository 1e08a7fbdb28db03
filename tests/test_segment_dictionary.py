"""The lazily read jieba dictionary cuts every text exactly as jieba's own does, and a missing,
damaged or stale shard file only ever costs time."""

from __future__ import annotations

import logging
import marshal
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jieba
import pytest
import yaml

from generator import segment_dictionary
from generator.segment_dictionary import ShardedFreq

ROOT = Path(__file__).resolve().parent.parent

#: Texts that take jieba's other paths: English and digits, runs of spaces, punctuation, HMM
#: words missing from the dictionary, characters outside jieba's Han range, an empty text.
ODD_TEXTS = [
    "", " ", "   ", "\t\n", "A", "ab  cd", "PM2.5 指数 123,456.78%",
    "《中华人民共和国政府信息公开条例》（国务院令第711号）",
    "沪府办规〔2023〕5号", "杭州西湖区文三路", "𠀀𠀁 丨乂", "ＡＢＣ　全角　１２３", "e-mail: a_b@c.d",
    "我来到北京清华大学", "他来到了网易杭研大厦", "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
]


def catalogue_texts() -> list[str]:
    """Every distinct text of the shipped catalogue's items: names, content, bases, subjects."""
    texts: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.add(value)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for path in sorted((ROOT / "catalog").glob("*/*.yaml")):
        walk((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("items", []))
    return sorted(texts)


@pytest.fixture(scope="module")
def reference() -> jieba.Tokenizer:
    """A tokenizer initialised as jieba does it, in the folder gkml uses."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.gettempdir()
    tokenizer.initialize()
    return tokenizer


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, reference: jieba.Tokenizer) -> Path:
    """A folder holding jieba's cache file (the one ``reference`` read) and the shards of it."""
    folder = tmp_path_factory.mktemp("written")
    shutil.copy2(Path(tempfile.gettempdir()) / "jieba.cache", folder / "jieba.cache")
    assert type(tokenizer_in(folder).FREQ) is dict  # no shard file yet: jieba's own, and it is written
    assert len(list(folder.glob("jieba.gkml-shards.*"))) == 1
    return folder


@pytest.fixture
def folder(tmp_path: Path, written: Path) -> Path:
    """A temp folder of its own with both files (as they are, times and all)."""
    for file in written.iterdir():
        shutil.copy2(file, tmp_path / file.name)
    return tmp_path


def tokenizer_in(folder: Path) -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(folder)
    segment_dictionary.install(tokenizer)
    return tokenizer


def shard_path_in(folder: Path) -> str:
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(folder)
    path = segment_dictionary.shard_path(tokenizer)
    assert path is not None and Path(path).parent == folder
    return path


def lazy_in(folder: Path) -> jieba.Tokenizer:
    """A tokenizer reading the shard file."""
    tokenizer = tokenizer_in(folder)
    assert isinstance(tokenizer.FREQ, ShardedFreq)
    return tokenizer


def cuts(tokenizer: jieba.Tokenizer, texts: list[str]) -> list[list[list[str]]]:
    return [[tokenizer.lcut_for_search(text), tokenizer.lcut(text), tokenizer.lcut(text, HMM=False),
             tokenizer.lcut(text, cut_all=True), tokenizer.lcut_for_search(text, HMM=False)] for text in texts]


def blob_of(path: str, first: str) -> tuple[int, int]:
    """(offset in the file, length) of the shard of words starting with ``first``."""
    data = Path(path).read_bytes()
    start = len(segment_dictionary.FORMAT) + segment_dictionary._PREAMBLE.size
    length, _ = segment_dictionary._PREAMBLE.unpack(data[len(segment_dictionary.FORMAT):start])
    offset, size, _ = marshal.loads(data[start:start + length])["index"][first]
    return start + length + offset, size


def test_same_words_as_jieba(folder: Path, reference: jieba.Tokenizer) -> None:
    texts = catalogue_texts()
    assert len(texts) > 500
    lazy = lazy_in(folder)
    assert lazy.total == reference.total and len(lazy.FREQ) == len(reference.FREQ)
    expected = cuts(reference, texts + ODD_TEXTS)
    assert cuts(lazy, texts + ODD_TEXTS) == expected
    # Something real was compared, and only the shards those texts need were read.
    assert expected[texts.index("中华人民共和国政府信息公开条例")][0] == [
        "中华", "华人", "人民", "共和", "国政", "政府", "共和国", "中华人民共和国政府", "信息", "公开", "条例"]
    shards = lazy.FREQ._shards
    assert 300 < len(shards) < len(lazy.FREQ._index) / 4
    assert lazy.FREQ.get("政府") == reference.FREQ["政府"] > 0
    # A word prefix is there with count 0 ("in" but not a word), other strings are not there at all.
    assert "中华人民共和" in lazy.FREQ and lazy.FREQ["中华人民共和"] == reference.FREQ["中华人民共和"] == 0
    assert "政府信息" not in lazy.FREQ and "政府信息" not in reference.FREQ and lazy.FREQ.get("𠀀") is None
    with pytest.raises(KeyError):
        lazy.FREQ["𠀀"]
    assert dict(lazy.FREQ) == reference.FREQ


def test_truncated_file_is_rebuilt(folder: Path, reference: jieba.Tokenizer) -> None:
    texts = catalogue_texts()[::7] + ODD_TEXTS
    path = shard_path_in(folder)
    size = os.path.getsize(path)
    with open(path, "r+b") as file:
        file.truncate(size // 2)
    fallen_back = tokenizer_in(folder)
    assert type(fallen_back.FREQ) is dict
    assert cuts(fallen_back, texts) == cuts(reference, texts)
    assert os.path.getsize(path) == size
    assert cuts(lazy_in(folder), texts) == cuts(reference, texts)


def test_damaged_shard_falls_back_to_jieba(folder: Path, reference: jieba.Tokenizer) -> None:
    texts = ["政府信息公开条例", *catalogue_texts()[::5]]
    path = shard_path_in(folder)
    offset, size = blob_of(path, "政")
    with open(path, "r+b") as file:
        file.seek(offset + size // 2)
        file.write(b"\xff\x00\xff")
    damaged = tokenizer_in(folder)
    assert isinstance(damaged.FREQ, ShardedFreq)  # the header is fine: found out on first use
    held = damaged.FREQ
    assert cuts(damaged, texts) == cuts(reference, texts)
    assert type(damaged.FREQ) is dict and damaged.total == reference.total
    assert held.get("政府") == reference.FREQ["政府"]  # a cut under way still gets answers
    assert not os.path.exists(path)  # so that the next build writes a good one
    tokenizer_in(folder)
    assert cuts(lazy_in(folder), texts) == cuts(reference, texts)


def test_garbage_file_is_replaced(folder: Path, reference: jieba.Tokenizer) -> None:
    path = shard_path_in(folder)
    Path(path).write_bytes(os.urandom(4096))
    tokenizer = tokenizer_in(folder)
    assert type(tokenizer.FREQ) is dict
    assert cuts(tokenizer, ODD_TEXTS) == cuts(reference, ODD_TEXTS)
    assert isinstance(tokenizer_in(folder).FREQ, ShardedFreq)


def test_rebuilt_when_jieba_or_its_cache_changes(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = segment_dictionary.shard_path(lazy_in(folder))
    cache = folder / "jieba.cache"
    os.utime(cache, ns=(cache.stat().st_atime_ns, cache.stat().st_mtime_ns + 10**9))
    second = segment_dictionary.shard_path(tokenizer_in(folder))
    assert second != first and os.path.exists(second)
    monkeypatch.setattr(jieba, "__version__", jieba.__version__ + ".post1")
    third = segment_dictionary.shard_path(tokenizer_in(folder))
    assert third not in (first, second) and os.path.exists(third)
    assert not os.path.exists(first) and not os.path.exists(second)  # stale copies are removed
    assert isinstance(tokenizer_in(folder).FREQ, ShardedFreq)


def test_custom_dictionary_is_left_to_jieba(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("政务公开 100 n\n目录 50 n\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer(str(words))
    tokenizer.tmp_dir = str(tmp_path)
    segment_dictionary.install(tokenizer)
    assert type(tokenizer.FREQ) is dict and tokenizer.lcut("政务公开目录") == ["政务公开", "目录"]
    assert not list(tmp_path.glob("jieba.gkml-shards.*"))


def test_search_index_reads_the_shards() -> None:
    """A fresh process (as an incremental build is) segments from the shard file."""
    script = ("from generator import search_index as s; s._segment_one('政府信息公开'); "
              "print(type(s._tokenizer().FREQ).__name__, sorted(s._segment_one('政府信息公开')[0]))")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
            for _ in range(2)]
    assert runs[1].stdout.split(" ", 1) == ["ShardedFreq", "['信息', '公开', '政府', '政府信息公开']\n"]
    assert runs[0].stdout.split(" ", 1)[1] == runs[1].stdout.split(" ", 1)[1]
