"""The one schema of gkml's data: every field, its Chinese title and help, its type and values.

The JSON Schema (``gkml schema``), the validator's messages and the field table in the
docs are all derived from these declarations, so a field is described exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from . import standard_lists as std

FieldType = Literal["line", "text", "markdown", "date", "id", "url", "enum", "list", "objects"]

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


@dataclass(frozen=True)
class Field:
    key: str
    title: str
    help: str
    type: FieldType
    required: bool = False
    #: Required only in catalogues of these kinds (community lists omit 对象/方式/层级).
    required_for: tuple[str, ...] = ()
    #: Allowed values, fixed here …
    choices: tuple[str, ...] = ()
    #: … or declared by the site (``"channels"``, ``"levels"``), resolved at validation.
    choices_from: str | None = None
    #: For ``list``: the type of each element (``line``, ``id`` or ``enum``).
    item_type: FieldType = "line"
    #: For ``objects``: the fields of each element.
    fields: tuple["Field", ...] = ()
    min_items: int = 0
    example: object = None

    def is_required(self, catalogue_kind: str | None) -> bool:
        return self.required or (catalogue_kind in self.required_for)

    def label(self) -> str:
        return f"“{self.key}”（{self.title}）"

    @cached_property
    def element(self) -> Field:
        """For ``list``: what each element is, a field of type ``item_type`` (made once, not per list)."""
        return Field(self.key, self.title, self.help, self.item_type, choices=self.choices,
                     choices_from=self.choices_from)


_KEYED: dict[int, tuple[tuple[Field, ...], dict[str, Field]]] = {}


def keyed(fields: tuple[Field, ...]) -> dict[str, Field]:
    """``fields`` by key, made once per tuple of fields: the validator asks for each mapping it checks."""
    found = _KEYED.get(id(fields))
    if found is None:
        # The tuple is kept with its table, so its id cannot be reused by another tuple.
        found = _KEYED[id(fields)] = (fields, {f.key: f for f in fields})
    return found[1]


BASIS_FIELDS: tuple[Field, ...] = (
    Field("title", "名称", "法律、法规或文件的全称，不加书名号，如“中华人民共和国政府信息公开条例”。", "line", required=True),
    Field("kind", "效力类别", "法律、行政法规、地方性法规、部门规章、地方政府规章、规范性文件或其他。", "enum",
          required=True, choices=std.BASIS_KINDS),
    Field("number", "文号", "发文字号，如“国务院令第711号”“国办发〔2019〕54号”；年份用六角括号〔〕。不确定时不填。", "line"),
    Field("articles", "条款", "所依据的具体条款，如“第三十条”。", "line"),
)

CHANGE_FIELDS: tuple[Field, ...] = (
    Field("date", "日期", "修订日期，格式 YYYY-MM-DD。", "date", required=True),
    Field("summary", "修订内容", "这次修订改了什么，如“新增”“调整公开时限”。", "line", required=True),
)

ITEM_FIELDS: tuple[Field, ...] = (
    Field("id", "事项标识", "永久标识，用于网址和二维码，全站唯一，发布后不可更改：小写字母、数字和连字符，最长64个字符。",
          "id", required=True, example="edu-enrolment-policy"),
    Field("group", "类别", "居务/村务目录的分类，如“机构信息”“财务信息”“党务”。", "line"),
    Field("category", "一级事项", "事项所属的一级事项，如“招生入学”。", "line", required=True),
    Field("name", "二级事项", "事项名称（二级事项），如“招生入学政策”。", "line", required=True),
    Field("content", "公开内容（要素）", "公开的具体内容或要素，每项一行。", "list", required=True, min_items=1),
    Field("basis", "公开依据", "公开所依据的法律、法规和文件，一项或多项。", "objects", required=True,
          fields=BASIS_FIELDS, min_items=1),
    Field("timing", "公开时限", "按标准指引原文填写，如“自信息形成或者变更之日起20个工作日内”。", "line", required=True),
    Field("subject", "公开主体", "负责公开的机关或组织，如“区教育局”。", "line", required=True),
    Field("channels", "公开渠道和载体", "从标准渠道清单（或 site.yaml 声明的渠道）中选择。", "list",
          required=True, min_items=1, item_type="enum", choices_from="channels"),
    Field("audience", "公开对象", "全社会，或特定群体。", "enum", required_for=("domain",), choices=std.AUDIENCES),
    Field("audience_group", "特定群体名称", "公开对象为特定群体时，写明是哪些人，如“申请人”“项目单位”。", "line"),
    Field("mode", "公开方式", "主动公开，或依申请公开。", "enum", required_for=("domain",), choices=std.MODES),
    Field("levels", "公开层级", "在哪些层级公开，取 site.yaml 中 levels 声明的标签，如“县级”“乡级”。", "list",
          required_for=("domain",), min_items=1, item_type="enum", choices_from="levels"),
    Field("keywords", "检索词", "群众常用的俗称或简称（如“低保”），帮助站内搜索找到本事项。", "list"),
    Field("notes", "备注", "补充说明，可用 Markdown；不支持 HTML。", "markdown"),
    Field("changes", "修订记录", "本事项的修订记录，每条写日期和修订内容。", "objects", fields=CHANGE_FIELDS),
    Field("status", "状态", "active（有效，默认）或 withdrawn（已撤销；撤销后页面保留）。", "enum", choices=std.STATUSES),
    Field("withdrawn_on", "撤销日期", "事项撤销的日期，格式 YYYY-MM-DD。", "date"),
    Field("reason", "撤销原因", "为何撤销，如“并入……事项”。", "line"),
    Field("replaced_by", "替代事项", "替代本事项的事项标识。", "id"),
)

CATALOGUE_FIELDS: tuple[Field, ...] = (
    Field("id", "目录标识", "永久标识，与文件名相同（不含 .yaml）。", "id", required=True, example="compulsory-education"),
    Field("name", "目录名称", "领域或居务/村务目录的名称，如“义务教育”。", "line", required=True),
    Field("kind", "目录类型", "domain（试点领域标准目录）或 community（居务/村务公开目录）。", "enum",
          required=True, choices=std.CATALOGUE_KINDS),
    Field("source", "编制依据", "本目录依据的标准指引，如“国务院部门基层政务公开标准指引（义务教育）”。", "line", required=True),
    Field("updated", "修订时间", "目录最近一次修订的日期，格式 YYYY-MM-DD。", "date", required=True),
    Field("description", "目录说明", "目录的简介，可用 Markdown。", "markdown"),
    Field("items", "公开事项", "本目录的全部事项。", "objects", required=True, fields=ITEM_FIELDS, min_items=1),
)

SITE_FIELDS: tuple[Field, ...] = (
    Field("title", "站点名称", "显示在每页顶部的名称。", "line", required=True),
    Field("base_url", "站点网址", "站点正式发布的绝对网址（https），可带路径前缀，如“https://www.example.gov.cn/gkml/”。"
          "二维码编码的就是这个网址，发布后不要更改。", "url", required=True),
    Field("publisher", "主办单位", "运营本站的机关。", "line", required=True),
    Field("contact", "联系方式", "页脚显示的联系方式（电话、地址、邮箱）。", "text", required=True),
    Field("region", "行政区划", "本站覆盖的区县或街镇名称。", "line"),
    Field("levels", "公开层级标签", "本站使用的公开层级标签，如 [县级, 乡级] 或 [区级, 街镇级]。", "list"),
    Field("channels", "本地公开渠道", "标准渠道清单之外本地使用的渠道，如“居务公开栏”“社区云”。", "list"),
    Field("domains", "发布的领域目录", "要发布的领域目录标识（catalog/domains/ 下的文件名），按显示顺序排列。", "list",
          item_type="id"),
    Field("community", "发布的居务/村务目录", "要发布的居务/村务目录标识（catalog/community/ 下的文件名）。", "list",
          item_type="id"),
)
