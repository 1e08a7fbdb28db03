"""``gkml new domain|community|item``: ask in Chinese (or take flags), write valid YAML.

Every answer is checked as it is typed (a bad one is asked again); with ``--yes`` nothing is
asked and missing fields take their defaults, for scripts. After writing, the file is
validated like ``gkml validate`` would; should anything be wrong, the old text is put back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import sheet_cells as cells
from .. import standard_lists as std
from ..load import load_sources
from ..problems import Problems, UsageError
from ..report import print_problems
from ..scaffold import (DEFAULT_BASIS, DEFAULT_TIMING, FOLDERS, ID, ScaffoldError, append_item, catalogue_path,
                        categories, enable_in_site, id_prefix, new_catalogue_text, pilot_choices, site_ids,
                        split_list, suggest_id)
from ..validate import Vocabulary, site_vocabulary, validate_sources
from ..yaml_source import YamlSourceError, load


class Asker:
    """One question at a time: a flag's value if given, else a prompt, else (``--yes``) the default."""

    def __init__(self, values: dict[str, Any]):
        self.values = values
        self.yes = bool(values.get("yes"))

    def __call__(self, key: str, label: str, default: str | None = None, *, flag: str | None = None,
                 check: Callable[[str], Any] = lambda v: v, required: bool = True) -> Any:
        given = self.values.get(key)
        if given is not None:
            try:
                return check(str(given))
            except click.BadParameter as exc:
                raise UsageError(f"--{flag or key.replace('_', '-')}：{exc.message}") from None
        if self.yes:
            if default is None and required:
                raise UsageError(f"缺少 --{flag or key.replace('_', '-')}（{label}）：使用 --yes 时必须给出")
            return check(default) if default is not None else None
        try:
            answer = click.prompt(label, default=default if default is not None else ("" if not required else None),
                                  show_default=bool(default), value_proc=lambda v: check(v.strip()) if v.strip() or
                                  required else None, err=True)
        except click.Abort:
            raise UsageError("已取消：没有写入任何文件（在脚本中可用参数和 --yes 免去提问）") from None
        return answer


def _nonempty(value: str) -> str:
    if not value.strip():
        raise click.BadParameter("不能为空")
    if "\n" in value:
        raise click.BadParameter("应为一行文字")
    return value.strip()


def _id_check(taken: set[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if not ID.match(value):
            raise click.BadParameter(f"标识“{value}”不合法：只能用小写字母、数字和连字符，以字母或数字开头，最长64个字符")
        if value in taken:
            raise click.BadParameter(f"标识“{value}”已被使用（事项标识全站唯一，发布过的也不能再用）")
        return value
    return check


def ask_item(ask: Asker, kind: str, vocab: Vocabulary, taken: set[str], suggested_id: str,
             known_categories: list[str], id_key: str, name_key: str, today: dt.date) -> dict[str, Any]:
    """The fields of one item, in the order of the published table."""
    item: dict[str, Any] = {}
    if kind == "community":
        group = ask("group", "类别（如“机构信息”“财务信息”，可不填）", "", required=False)
        if group:
            item["group"] = group
    hint = f"（已有：{'、'.join(known_categories[:8])}）" if known_categories else ""
    item["category"] = ask("category", f"一级事项{hint}", check=_nonempty)
    item["name"] = ask(name_key, "二级事项（事项名称）", check=_nonempty, flag=name_key.replace("_", "-"))
    item["id"] = ask(id_key, "事项标识（用于网址和二维码，发布后不能更改）", suggested_id, check=_id_check(taken),
                     flag=id_key.replace("_", "-"))

    def content(value: str) -> list[str]:
        parsed = cells.parse_content(value)
        if not parsed:
            raise click.BadParameter("至少填一项公开内容")
        return parsed

    item["content"] = ask("content_text", "公开内容（要素），用顿号分隔", item["name"], check=content, flag="content")

    def basis(value: str) -> list[dict[str, str]]:
        parsed = cells.parse_basis(value)
        if not parsed.basis:
            raise click.BadParameter("请按“【效力类别】《名称》（文号）”填写，如 " + DEFAULT_BASIS)
        for message in parsed.warnings:
            click.echo(f"提示：{message}", err=True)
        return parsed.basis

    item["basis"] = ask("basis", "公开依据（【效力类别】《名称》（文号），可写多项）", DEFAULT_BASIS, check=basis)
    item["timing"] = ask("timing", "公开时限", DEFAULT_TIMING, check=_nonempty)
    item["subject"] = ask("subject", "公开主体（如“区教育局”）", check=_nonempty)

    def channels(value: str) -> list[str]:
        chosen = []
        for name in split_list(value):
            if name not in vocab.channels:
                raise click.BadParameter(f"“{name}”不是可用的渠道。可用：{'、'.join(vocab.channels)}"
                                         "（本地渠道请先在 site.yaml 的 channels 中声明）")
            chosen.append(name)
        if not chosen:
            raise click.BadParameter("至少选一个渠道")
        return chosen

    item["channels"] = ask("channels", "公开渠道和载体，用顿号分隔", "政府网站", check=channels)
    if kind == "domain" or ask.values.get("audience"):
        item["audience"] = ask("audience", "公开对象（全社会 / 特定群体）", "全社会", check=_choice(std.AUDIENCES))
        if item["audience"] == "特定群体":
            group = ask("audience_group", "特定群体名称（如“申请人”，可不填）", "", required=False)
            if group:
                item["audience_group"] = group
    if kind == "domain" or ask.values.get("mode"):
        item["mode"] = ask("mode", "公开方式（主动 / 依申请）", "主动", check=_choice(std.MODES))
    if kind == "domain" or ask.values.get("levels"):
        def levels(value: str) -> list[str]:
            chosen = split_list(value)
            wrong = [lv for lv in chosen if lv not in vocab.levels]
            if wrong or not chosen:
                raise click.BadParameter(f"公开层级应取自：{'、'.join(vocab.levels)}（在 site.yaml 的 levels 中声明）")
            return chosen
        item["levels"] = ask("levels", "公开层级，用顿号分隔", "、".join(vocab.levels), check=levels)
    # The first line of the item's change history: the catalogue page and /feed.xml list it.
    item["changes"] = [{"date": today, "summary": "新增"}]
    return item


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip().removesuffix("公开")
        if value not in choices:
            raise click.BadParameter(f"应为：{' 或 '.join(choices)}")
        return value
    return check


def _vocabulary(catalog: Path) -> Vocabulary:
    site = catalog / "site.yaml"
    if not site.is_file():
        return Vocabulary()
    try:
        return site_vocabulary(load(site).data)
    except YamlSourceError:
        return Vocabulary()


def _check_written(catalog: Path, path: Path) -> bool:
    """Validate the catalogue folder; print this file's problems; True when it has no errors."""
    problems = Problems()
    sources = load_sources(catalog, problems)
    validate_sources(sources, problems)
    mine = Problems([p for p in problems.items if p.path.resolve() == path.resolve()])
    print_problems(mine)
    return not mine.errors


# --- the commands ------------------------------------------------------------------------

def run_catalogue(kind: str, values: dict[str, Any]) -> int:
    catalog: Path = values["catalog"]
    if not catalog.is_dir():
        raise UsageError(f"找不到目录数据文件夹 {catalog}：请用 --catalog 指定，或在目录仓库的根目录运行")
    ask = Asker(values)
    taken = site_ids(catalog)

    def catalogue_id(value: str) -> str:
        value = value.strip()
        if kind == "domain" and value.isdigit() and 1 <= int(value) <= len(std.PILOT_DOMAINS):
            value = list(std.PILOT_DOMAINS)[int(value) - 1]
        if not ID.match(value):
            raise click.BadParameter(f"标识“{value}”不合法：只能用小写字母、数字和连字符")
        if catalogue_path(catalog, kind, value).exists():
            raise click.BadParameter(f"{catalogue_path(catalog, kind, value)} 已存在；要添加事项请用 gkml new item")
        return value

    if kind == "domain" and values.get("ident") is None and not ask.yes:
        click.echo("26 个国家试点领域（可输入序号或标识；也可输入自定义标识）：", err=True)
        for number, slug, name, exists in pilot_choices(catalog):
            click.echo(f"  {number:>2}. {slug:<28} {name}{'（已有文件）' if exists else ''}", err=True)
    ident = ask("ident", "领域标识" if kind == "domain" else "目录标识（如 yanji-neighbourhood）", check=catalogue_id,
                flag="id")
    default_name = std.PILOT_DOMAINS.get(ident) if kind == "domain" else None
    name = ask("name", "目录名称", default_name, check=_nonempty)
    default_source = f"{name}领域基层政务公开标准指引" if kind == "domain" else "居（村）民委员会组织法和本地居（村）务公开规定"
    source = ask("source", "编制依据（本目录依据的标准指引）", default_source, check=_nonempty)
    given = values.get("updated")
    updated = given.date() if isinstance(given, dt.datetime) else dt.date.today()
    vocab = _vocabulary(catalog)
    item = ask_item(ask, kind, vocab, taken, suggest_id(ident, taken), [], "item_id", "item_name", updated)
    path = catalogue_path(catalog, kind, ident)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new_catalogue_text(kind, ident, name, source, updated, item), encoding="utf-8")
    if not _check_written(catalog, path):
        path.unlink()
        click.echo("生成的文件未通过校验，已删除（请报告这个问题）。", err=True)
        return 1
    click.echo(f"已创建 {path}（1 个事项）。", err=True)
    site = catalog / "site.yaml"
    key = FOLDERS[kind]
    if values.get("enable") and site.is_file():
        try:
            text = enable_in_site(site.read_text(encoding="utf-8"), key, ident)
        except ScaffoldError as exc:
            click.echo(f"未能自动启用：{exc}。请在 site.yaml 的 {key} 中加入 {ident}。", err=True)
            return 0
        if text is not None:
            site.write_text(text, encoding="utf-8")
        click.echo(f"已在 {site} 的 {key} 中启用 {ident}。", err=True)
    else:
        click.echo(f"这个目录还没有发布：准备好后在 site.yaml 的 {key} 中加入 {ident}（或运行时加 --enable）。", err=True)
    return 0


def run_item(values: dict[str, Any]) -> int:
    catalog: Path = values["catalog"]
    if not catalog.is_dir():
        raise UsageError(f"找不到目录数据文件夹 {catalog}：请用 --catalog 指定，或在目录仓库的根目录运行")
    files = {p.stem: p for folder in FOLDERS.values() for p in sorted((catalog / folder).glob("*.yaml"))}
    ask = Asker(values)

    def which(value: str) -> str:
        value = value.strip()
        if value not in files:
            raise click.BadParameter(f"找不到目录“{value}”。已有：{'、'.join(files) or '（无）'}")
        return value

    if values.get("catalogue_id") is None and not ask.yes and files:
        click.echo(f"已有目录：{'、'.join(files)}", err=True)
    path = files[ask("catalogue_id", "加到哪个目录", check=which, flag="catalogue")]
    original = path.read_text(encoding="utf-8")
    try:
        doc = load(path)
    except YamlSourceError as exc:
        raise UsageError(f"{path}:{exc.position.line}:{exc.position.col}: {exc.message}（请先修正这个文件）") from None
    data = doc.data if isinstance(doc.data, dict) else {}
    kind = data.get("kind") if data.get("kind") in std.CATALOGUE_KINDS else \
        ("domain" if path.parent.name == "domains" else "community")
    own = [i["id"] for i in data.get("items") or [] if isinstance(i, dict) and isinstance(i.get("id"), str)]
    taken = site_ids(catalog)
    suggested = suggest_id(id_prefix(own, path.stem), taken, start=len(own) + 1)
    item = ask_item(ask, kind, _vocabulary(catalog), taken, suggested, categories(data), "item_id", "item_name",
                    dt.date.today())
    try:
        text = append_item(original, item)
    except ScaffoldError as exc:
        raise UsageError(f"{path}：{exc}") from None
    path.write_text(text, encoding="utf-8")
    if not _check_written(catalog, path):
        path.write_text(original, encoding="utf-8")
        click.echo(f"追加后 {path} 未通过校验，已恢复原文件，没有任何改动。", err=True)
        return 1
    click.echo(f"已在 {path} 末尾添加事项 {item['id']}（{item['name']}）。修订后请把文件开头的 updated 改为今天的日期。",
               err=True)
    return 0

