"""The ``gkml`` command line. Thin on purpose: parse options, call one command module."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from . import __version__
from .build import BuildOptions
from .problems import UsageError, describe_os_error

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

catalog_option = click.option(
    "--catalog", type=click.Path(path_type=Path, file_okay=False), default="catalog", show_default=True,
    help="目录数据所在文件夹（含 site.yaml、domains/、community/）。")
content_option = click.option(
    "--content", type=click.Path(path_type=Path, file_okay=False), default="content", show_default=True,
    help="Markdown 页面所在文件夹（关于本站、政府信息公开指南等）。")
theme_option = click.option(
    "--theme", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
    help="自定义主题文件夹；其中没有的模板仍使用默认主题。")
strict_option = click.option("--strict", is_flag=True, help="把警告也当作错误（适合 CI）。")
quiet_option = click.option("-q", "--quiet", is_flag=True, help="只输出问题，不输出进度和摘要。")


class _Group(click.Group):
    """Turns gkml's own exceptions into Chinese messages and the exit codes of SPEC §2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            click.echo(f"错误：{exc}", err=True)
            ctx.exit(2)
        except OSError as exc:
            click.echo(f"错误：{describe_os_error(exc)}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="gkml %(version)s")
def main() -> None:
    """gkml：把 YAML 格式的政务公开标准目录生成为无障碍静态网站。

    \b
    常用命令：
      gkml validate      检查目录数据，逐条列出问题（文件:行:列）
      gkml build         校验并生成整个网站到 build/
      gkml posters       生成公开栏张贴用的 PDF（各事项二维码）
      gkml schema        输出 JSON Schema，供编辑器补全和检查字段
      gkml serve         在本机预览网站，修改文件后自动刷新
      gkml new           生成新的目录文件或事项
      gkml import        把标准目录格式的 Excel 表格转换为 YAML
      gkml export        把目录导出为标准目录格式的 Excel/CSV 表格
    """


@main.command(context_settings=CONTEXT)
@catalog_option
@content_option
@theme_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default="build", show_default=True,
              help="输出文件夹；构建全部成功后才更新，失败时保持原样。")
@click.option("--base-url", default=None, help="覆盖 site.yaml 中的站点网址（如预发布环境）。")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=0, help="并行进程数，0 表示按 CPU 核数。")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="不复用上次构建的结果（.gkml-cache/），全部重新生成。")
@click.option("--no-search", "no_search", is_flag=True,
              help="不生成搜索索引（只用于测量渲染速度；网站的搜索功能将不可用）。")
@strict_option
@quiet_option
def build(catalog: Path, content: Path, theme: Path | None, out: Path, base_url: str | None, jobs: int,
          no_cache: bool, no_search: bool, strict: bool, quiet: bool) -> None:
    """校验目录数据，生成整个网站（含搜索索引、二维码和开放数据）。"""
    from .commands import build as command
    if base_url is not None and not base_url.startswith("https://"):
        raise click.BadParameter("站点网址应以 https:// 开头", param_hint="--base-url")
    options = BuildOptions(catalog=catalog, content=content, theme=theme, out=out, base_url=base_url,
                           jobs=jobs, strict=strict, update_lock=True, cache=not no_cache, search=not no_search)
    sys.exit(command.run(options, quiet=quiet))


@main.command(context_settings=CONTEXT)
@catalog_option
@content_option
@strict_option
@quiet_option
def validate(catalog: Path, content: Path, strict: bool, quiet: bool) -> None:
    """检查全部目录文件并列出所有问题，不生成网站。有错误时退出码为 1。"""
    from .commands import validate as command
    sys.exit(command.run(BuildOptions(catalog=catalog, content=content, strict=strict), quiet=quiet))


@main.command(context_settings=CONTEXT)
@click.argument("which", type=click.Choice(["catalogue", "site", "opendata"]), default="catalogue")
@click.option("--catalog", type=click.Path(path_type=Path, file_okay=False), default="catalog",
              help="读取其中 site.yaml 声明的本地渠道和层级标签。")
def schema(which: str, catalog: Path) -> None:
    """输出 JSON Schema：catalogue（目录文件，默认）、site（site.yaml）或 opendata（catalog.json）。"""
    from .commands import schema as command
    click.echo(command.run(which, catalog), nl=False)


# --- editors' workflow: preview, scaffolding, spreadsheets -------------------------------


@main.command(context_settings=CONTEXT)
@catalog_option
@content_option
@theme_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="本机端口；0 表示自动选择一个空闲端口。")
def serve(catalog: Path, content: Path, theme: Path | None, port: int) -> None:
    """在本机预览网站：构建后在 http://127.0.0.1:端口/ 提供，文件一改就重新构建并刷新浏览器。

    目录数据有错误时，终端逐条列出问题，浏览器页面上方显示错误提示，仍提供上一次成功构建的网站。按 Ctrl-C 退出。
    """
    from .commands import serve as command
    sys.exit(command.run(catalog, content, theme, port))


def _item_options(function: Callable[..., None]) -> Callable[..., None]:
    """The fields of a new item; whatever is not given is asked for (or defaulted with --yes)."""
    options = [
        click.option("--group", help="类别（居务/村务目录的分类，如“机构信息”）。"),
        click.option("--category", help="一级事项，如“招生入学”。"),
        click.option("--content", "content_text", help="公开内容（要素），用顿号分隔，如“招生范围、招生对象”。"),
        click.option("--basis", help="公开依据，如“《中华人民共和国政府信息公开条例》（国务院令第711号）”；多项连写。"),
        click.option("--timing", help="公开时限，如“自信息形成或者变更之日起20个工作日内”。"),
        click.option("--subject", help="公开主体，如“区教育局”。"),
        click.option("--channels", help="公开渠道和载体，用顿号分隔，如“政府网站、政务服务中心”。"),
        click.option("--audience", type=click.Choice(["全社会", "特定群体"]), help="公开对象。"),
        click.option("--audience-group", help="公开对象为特定群体时的群体名称，如“申请人”。"),
        click.option("--mode", type=click.Choice(["主动", "依申请"]), help="公开方式。"),
        click.option("--levels", help="公开层级，用顿号分隔，如“县级、乡级”。"),
        click.option("-y", "--yes", is_flag=True, help="不提问：未给出的字段用默认值（适合脚本）。"),
        click.option("--catalog", type=click.Path(path_type=Path, file_okay=False), default="catalog",
                     show_default=True, help="目录数据所在文件夹。"),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@main.group(context_settings=CONTEXT)
def new() -> None:
    """生成新的目录文件或事项：逐项用中文提问，也可全部用参数给出（配合 --yes 用于脚本）。

    \b
      gkml new domain      新建一个试点领域目录（可从 26 个国家试点领域中选）
      gkml new community   新建一个居务/村务公开目录
      gkml new item        在已有目录文件末尾添加一个事项（保留原文件的注释和格式）
    """


#: Examples in the help of `new domain` and `new community`, which otherwise take the same options.
_CATALOGUE_EXAMPLES = {
    "domain": ("领域标识，如 compulsory-education（26 个试点领域之一，或自定义）。", "领域名称，如“义务教育”。",
               "编制依据，如“义务教育领域基层政务公开标准指引”。", "第一个事项的名称（二级事项）。"),
    "community": ("目录标识，如 yanji-neighbourhood（小写字母、数字和连字符）。", "目录名称，如“延吉居民区居务公开目录”。",
                  "编制依据，如“上海市居务公开工作要求”。", "第一个事项的名称。"),
}


def _catalogue_options(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    ident_help, name_help, source_help, item_name_help = _CATALOGUE_EXAMPLES[kind]
    options = [
        click.option("--id", "ident", help=ident_help),
        click.option("--name", help=name_help),
        click.option("--source", help=source_help),
        click.option("--updated", type=click.DateTime(["%Y-%m-%d"]), help="修订时间（YYYY-MM-DD），默认今天。"),
        click.option("--item-id", help="第一个事项的标识。"),
        click.option("--item-name", help=item_name_help),
        click.option("--enable", is_flag=True, help="同时在 site.yaml 中启用（发布）这个目录。"),
    ]

    def apply(function: Callable[..., None]) -> Callable[..., None]:
        function = _item_options(function)
        for option in reversed(options):
            function = option(function)
        return function
    return apply


@new.command("domain", context_settings=CONTEXT)
@_catalogue_options("domain")
def new_domain(**values: object) -> None:
    """新建 catalog/domains/<标识>.yaml，含第一个事项。"""
    from .commands import new as command
    sys.exit(command.run_catalogue("domain", values))


@new.command("community", context_settings=CONTEXT)
@_catalogue_options("community")
def new_community(**values: object) -> None:
    """新建 catalog/community/<标识>.yaml，含第一个事项。"""
    from .commands import new as command
    sys.exit(command.run_catalogue("community", values))


@new.command("item", context_settings=CONTEXT)
@click.option("--catalogue", "catalogue_id", help="加到哪个目录，如 compulsory-education。")
@click.option("--id", "item_id", help="事项标识（全站唯一），如 edu-enrolment-policy；默认按目录已有标识编号。")
@click.option("--name", "item_name", help="事项名称（二级事项）。")
@_item_options
def new_item(**values: object) -> None:
    """在目录文件末尾追加一个事项，原文件的文字和注释保持不变。"""
    from .commands import new as command
    sys.exit(command.run_item(values))


@main.command("import", context_settings=CONTEXT)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--catalog", type=click.Path(path_type=Path, file_okay=False), default="catalog", show_default=True,
              help="目录数据所在文件夹：读取 site.yaml 的渠道和层级，检查事项标识是否重复。")
@click.option("--id", "catalogue_id", help="目录标识，如 compulsory-education；表格标题是试点领域名称时可省略。")
@click.option("--kind", type=click.Choice(["domain", "community"]), help="目录类型；默认按表格列推断。")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="写入的 YAML 文件，默认 catalog/domains/<标识>.yaml；“-”表示输出到屏幕。")
@click.option("--sheet", help="只导入这个工作表。")
@click.option("--prefix", help="表格没有“事项标识”列时，生成标识所用的前缀，默认为目录标识。")
@click.option("--updated", type=click.DateTime(["%Y-%m-%d"]), help="修订时间（YYYY-MM-DD）。")
@click.option("--force", is_flag=True, help="覆盖已有的目录文件。")
def import_(file: Path, catalog: Path, catalogue_id: str | None, kind: str | None, out: Path | None,
            sheet: str | None, prefix: str | None, updated: object, force: bool) -> None:
    """把按标准目录格式编制的表格（.xlsx 或 .csv）转换为目录 YAML 文件。

    读取两行表头、合并的一级事项、■/□ 渠道清单和 √ 勾选列；无法识别的单元格逐个列为
    “文件:工作表!单元格: warning: …”。
    """
    from .commands import import_ as command
    day = updated.date() if updated is not None else None  # type: ignore[attr-defined]
    sys.exit(command.run(file, catalog, catalogue_id, kind, out, sheet, prefix, day, force))


@main.command(context_settings=CONTEXT)
@click.option("--catalog", type=click.Path(path_type=Path, file_okay=False), default="catalog", show_default=True,
              help="目录数据所在文件夹。")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True,
              help="表格格式。")
@click.option("--catalogue", "catalogue_id", help="只导出这个目录；CSV 必须指定。")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="输出文件，默认 <目录标识>.xlsx 或 catalogues.xlsx；CSV 可用“-”输出到屏幕。")
def export(catalog: Path, fmt: str, catalogue_id: str | None, out: Path | None) -> None:
    """把目录导出为标准目录的表格格式（两行表头、合并的一级事项、■/□ 渠道清单、√ 勾选）。"""
    from .commands import export as command
    sys.exit(command.run(catalog, fmt, catalogue_id, out))


@main.command(context_settings=CONTEXT)
@click.argument("catalogues", nargs=-1, metavar="[目录标识]...")
@catalog_option
@content_option
@theme_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default="build-posters", show_default=True,
              help="PDF 输出文件夹：每个目录一个“<目录标识>.pdf”，单项张贴版在 items/ 下。")
@click.option("--items", is_flag=True, help="同时为每个公开中的事项生成一页 A4 张贴版 PDF。")
@click.option("--chromium", type=click.Path(path_type=Path, dir_okay=False), default="/usr/bin/chromium",
              show_default=True, help="用于打印 PDF 的 Chromium 浏览器。")
@quiet_option
def posters(catalogues: tuple[str, ...], catalog: Path, content: Path, theme: Path | None, out: Path, items: bool,
            chromium: Path, quiet: bool) -> None:
    """生成公开栏张贴用的 PDF：每个目录一份上墙版（各事项名称和二维码，每张 A4 多项），可直接打印。

    不写目录标识时生成全部已发布目录，例如：gkml posters neighbourhood-committee --items
    """
    from .commands import posters as command
    options = command.PosterOptions(catalog=catalog, content=content, theme=theme, out=out, catalogues=catalogues,
                                    items=items, chromium=chromium)
    sys.exit(command.run(options, quiet=quiet))
