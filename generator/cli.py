"""The ``gkml`` command line. Thin on purpose: parse options, call one command module."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .build import BuildOptions
from .problems import UsageError

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
            where = f"：{exc.filename}" if exc.filename else ""
            click.echo(f"错误：读写文件失败{where}（{exc.strerror or exc}）", err=True)
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
      gkml schema        输出 JSON Schema，供编辑器补全和检查字段
    """


@main.command(context_settings=CONTEXT)
@catalog_option
@content_option
@theme_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default="build", show_default=True,
              help="输出文件夹；构建成功后整体替换，失败时保持原样。")
@click.option("--base-url", default=None, help="覆盖 site.yaml 中的站点网址（如预发布环境）。")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=0, help="并行进程数，0 表示按 CPU 核数。")
@strict_option
@quiet_option
def build(catalog: Path, content: Path, theme: Path | None, out: Path, base_url: str | None, jobs: int,
          strict: bool, quiet: bool) -> None:
    """校验目录数据，生成整个网站（含搜索索引、二维码和开放数据）。"""
    from .commands import build as command
    if base_url is not None and not base_url.startswith("https://"):
        raise click.BadParameter("站点网址应以 https:// 开头", param_hint="--base-url")
    options = BuildOptions(catalog=catalog, content=content, theme=theme, out=out, base_url=base_url,
                           jobs=jobs, strict=strict)
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
