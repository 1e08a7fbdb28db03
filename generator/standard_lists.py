"""The fixed vocabularies of the national standard catalogues.

Sources: 国办发〔2019〕54号 and the 26 ministry guidelines (see ``content/catalogue-sources.md``);
the channel checklist is the one printed on published catalogues (■ chosen, □ not chosen).
"""

from __future__ import annotations

#: 公开渠道和载体, in the order published catalogues print the checklist.
STANDARD_CHANNELS: tuple[str, ...] = (
    "政府网站",
    "政府公报",
    "两微一端",
    "发布会/听证会",
    "广播电视",
    "纸质媒体",
    "公开查阅点",
    "政务服务中心",
    "便民服务站",
    "入户/现场",
    "社区/企事业单位/村公示栏（电子屏）",
    "精准推送",
    "其他",
)

#: 公开依据 kinds, from the hierarchy of the Legislation Law plus 规范性文件 and 其他.
BASIS_KINDS: tuple[str, ...] = ("法律", "行政法规", "地方性法规", "部门规章", "地方政府规章", "规范性文件", "其他")

AUDIENCES: tuple[str, ...] = ("全社会", "特定群体")
MODES: tuple[str, ...] = ("主动", "依申请")
CATALOGUE_KINDS: tuple[str, ...] = ("domain", "community")
CATALOGUE_KIND_LABELS: dict[str, str] = {"domain": "领域目录", "community": "居务/村务公开目录"}
STATUSES: tuple[str, ...] = ("active", "withdrawn")
DEFAULT_LEVELS: tuple[str, ...] = ("县级", "乡级")

#: The 26 national pilot domains: permanent slug → catalogue title.
PILOT_DOMAINS: dict[str, str] = {
    "major-construction-projects": "重大建设项目",
    "public-resource-trading": "公共资源交易",
    "fiscal-budgets": "财政预决算",
    "work-safety": "安全生产",
    "tax-administration": "税收管理",
    "land-expropriation": "征地补偿",
    "urban-house-expropriation": "国有土地上房屋征收与补偿",
    "rural-dilapidated-housing": "农村危房改造",
    "urban-law-enforcement": "城市综合执法",
    "ecology-environment": "生态环境",
    "public-cultural-services": "公共文化服务",
    "public-legal-services": "公共法律服务",
    "poverty-alleviation": "扶贫",
    "disaster-relief": "救灾",
    "food-drug-regulation": "食品药品监管",
    "employment": "就业",
    "social-assistance": "社会救助",
    "elderly-care": "养老服务",
    "household-registration": "户籍管理",
    "agricultural-subsidies": "涉农补贴",
    "compulsory-education": "义务教育",
    "health": "卫生健康",
    "municipal-services": "市政服务",
    "urban-rural-planning": "城乡规划",
    "affordable-housing": "保障性住房",
    "social-insurance": "社会保险",
}
