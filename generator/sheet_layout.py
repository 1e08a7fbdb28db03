"""The table layout of published standard catalogues, shared by import and export.

Two header rows: 公开事项 spans 一级事项 · 二级事项, and 公开对象 / 公开方式 / 公开层级 span
their tick columns (全社会 · 特定群体, 主动 · 依申请, and the site's level labels). After the
published columns, export adds the ones gkml needs to read the sheet back unchanged
(事项标识 first of all); import accepts the published variants of every label.
"""

from __future__ import annotations

import re

#: Normalised header label → the field it fills (top-row labels of single columns).
SINGLE_COLUMNS: dict[str, str] = {
    "序号": "seq", "编号": "seq",
    "类别": "group", "分类": "group",
    "一级事项": "category", "二级事项": "name", "事项名称": "name", "事项": "name", "公开事项": "name",
    "公开内容（要素）": "content", "公开内容": "content", "内容": "content", "公开要素": "content",
    "公开依据": "basis", "依据": "basis", "公开依据（名称及文号）": "basis",
    "公开时限": "timing", "时限": "timing",
    "公开主体": "subject", "主体": "subject", "责任主体": "subject",
    "公开渠道和载体": "channels", "公开渠道": "channels", "渠道": "channels", "公开载体": "channels",
    "公开渠道及载体": "channels",
    "公开对象": "audience_text", "公开方式": "mode_text", "公开层级": "levels_text",
    "事项标识": "id", "标识": "id",
    "检索词": "keywords", "备注": "notes", "修订记录": "changes",
    "状态": "status", "撤销日期": "withdrawn_on", "撤销原因": "reason", "替代事项": "replaced_by",
}

#: (top label, sub label) → field, for the two-row groups.
SUB_COLUMNS: dict[str, dict[str, str]] = {
    "公开事项": {"一级事项": "category", "二级事项": "name", "事项名称": "name"},
    "公开对象": {"全社会": "audience_all", "特定群体": "audience_specific", "特定群众": "audience_specific",
             "特定对象": "audience_specific"},
    "公开方式": {"主动": "mode_active", "主动公开": "mode_active", "依申请": "mode_request",
             "依申请公开": "mode_request"},
}
LEVELS_TOP = "公开层级"

#: Labels that only ever appear in the second header row.
SUB_LABELS = {sub for subs in SUB_COLUMNS.values() for sub in subs}

INFO_SHEET = "目录信息"
INFO_COLUMNS = ("工作表", "目录标识", "目录名称", "目录类型", "编制依据", "修订时间", "目录说明")
KIND_LABELS = {"domain": "领域目录", "community": "居务/村务公开目录"}

TICK = "√"


def normalise_label(text: str) -> str:
    """Header text as written (spaces, line breaks, half-width brackets) → one spelling."""
    text = re.sub(r"\s+", "", text)
    return text.replace("(", "（").replace(")", "）")
