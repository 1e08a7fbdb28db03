"""A synthetic catalogue of N items for benchmarks: the shape of real data, none of its truth.

Written to a temporary folder only; never shipped. Items cycle through realistic field
values so pages weigh what real item pages weigh.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from generator.standard_lists import PILOT_DOMAINS, STANDARD_CHANNELS

CATEGORIES = ["政策文件", "办事指南", "审批结果", "监督检查", "行政处罚", "资金使用", "项目信息", "统计信息"]
NAMES = ["办理流程", "申请条件", "结果公示", "资金发放", "名单公示", "实施方案", "工作动态", "咨询渠道"]
CONTENT = ["事项名称", "申请条件", "申请材料", "办理流程", "办理时限", "收费标准", "办理地点", "咨询电话", "监督电话"]
BASIS = [
    {"title": "中华人民共和国政府信息公开条例", "kind": "行政法规", "number": "国务院令第711号"},
    {"title": "中华人民共和国行政许可法", "kind": "法律"},
    {"title": "社会救助暂行办法", "kind": "行政法规", "number": "国务院令第649号"},
]
#: libyaml's emitter when available: a city's 100,000 items are written in seconds, not a minute.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SUBJECTS = ["区民政局", "区教育局", "区卫生健康委", "街道办事处", "镇人民政府", "区生态环境局"]


def write_catalogue(root: Path, items: int, domains: int = 24, community_lists: int = 0, seed: int = 7,
                    districts: int = 1) -> Path:
    """Write ``site.yaml`` and ``domains/*.yaml`` (and community lists) with ``items`` items in all.

    ``districts`` > 1 gives a city: each district publishes its own ``domains`` catalogues
    (``d01-compulsory-education`` …), and the community lists are spread over them.
    """
    rng = random.Random(seed)
    pilot = list(PILOT_DOMAINS)[:domains]
    slugs = pilot if districts <= 1 else [f"d{d:02d}-{slug}" for d in range(1, districts + 1) for slug in pilot]
    (root / "domains").mkdir(parents=True, exist_ok=True)
    (root / "community").mkdir(exist_ok=True)
    lists = [f"community-{i:04d}" for i in range(community_lists)]
    groups = [("domain", slug) for slug in slugs] + [("community", ident) for ident in lists]
    per_group = [items // len(groups) + (1 if i < items % len(groups) else 0) for i in range(len(groups))]
    counter = 0
    for (kind, ident), count in zip(groups, per_group):
        entries = []
        for _ in range(count):
            counter += 1
            entry = {
                "id": f"x{counter:06d}",
                "category": rng.choice(CATEGORIES),
                "name": f"{rng.choice(NAMES)}{counter}",
                "content": rng.sample(CONTENT, 4),
                "basis": [dict(b) for b in rng.sample(BASIS, 2)],
                "timing": "自信息形成或者变更之日起20个工作日内",
                "subject": rng.choice(SUBJECTS),
                "channels": sorted(rng.sample(STANDARD_CHANNELS[:8], 3), key=STANDARD_CHANNELS.index),
            }
            if kind == "domain":
                entry |= {"audience": "全社会", "mode": "主动", "levels": ["县级", "乡级"]}
            else:
                entry["group"] = rng.choice(["党务", "村务", "财务"])
            entries.append(entry)
        name = PILOT_DOMAINS.get(ident.split("-", 1)[-1] if districts > 1 else ident) if kind == "domain" else None
        if name and districts > 1:
            name = f"第{int(ident[1:3])}区{name}"
        doc = {"id": ident, "name": name or f"居务公开目录{ident[-4:]}", "kind": kind,
               "source": "基准测试用合成数据", "updated": "2024-01-01", "items": entries}
        folder = "domains" if kind == "domain" else "community"
        text = yaml.dump(doc, Dumper=_DUMPER, allow_unicode=True, sort_keys=False).replace("'2024-01-01'", "2024-01-01")
        (root / folder / f"{ident}.yaml").write_text(text, encoding="utf-8")
    site = {
        "title": "基准测试站点", "base_url": "https://example.gov.cn/gkml/", "publisher": "基准测试",
        "contact": "无", "domains": slugs, "community": lists,
    }
    (root / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root
