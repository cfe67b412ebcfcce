"""Enterprise fields used by the screening rule sets: names, kinds, units, aliases.

One firm-year row per firm and fiscal year. ``docs/enterprise-fields.md`` documents every
field; this module is the machine-readable registry the reader validates against.
"""

from __future__ import annotations

from dataclasses import dataclass

#: kinds: money (yuan), count, years, percent (0-100), points, rank (1 = best; 0 = none),
#: boolean, date, category
KINDS = ("money", "count", "years", "percent", "points", "rank", "boolean", "date",
         "category")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    #: a share whose value may not exceed the field named here (same firm and year)
    at_most: str | None = None


def _f(name, kind, zh, en, aliases=(), at_most=None):
    return Field(name, kind, zh, en, tuple(aliases), at_most)


FIELDS: dict[str, Field] = {f.name: f for f in [
    # money, yuan unless --money-unit says 10,000 yuan
    _f("sales_revenue", "money", "销售收入", "sales revenue", ["销售收入总额", "年销售收入"]),
    _f("total_revenue", "money", "总收入", "total revenue", ["收入总额", "企业总收入"]),
    _f("operating_revenue", "money", "营业收入", "operating revenue", ["营业收入总额"]),
    _f("main_business_revenue", "money", "主营业务收入", "main-business revenue",
       ["主营业务收入总额"], at_most="operating_revenue"),
    _f("rd_expense", "money", "研发费用", "R&D expense",
       ["研究开发费用", "研发费用总额", "研究开发费用总额"]),
    _f("domestic_rd_expense", "money", "境内研发费用", "R&D expense incurred in China",
       ["境内研究开发费用", "在中国境内发生的研究开发费用"], at_most="rd_expense"),
    _f("hightech_product_service_revenue", "money", "高新技术产品（服务）收入",
       "high-tech product/service revenue", ["高新技术产品收入", "高新技术产品(服务)收入"],
       at_most="total_revenue"),
    _f("total_assets", "money", "资产总额", "total assets", ["总资产"]),
    _f("total_liabilities", "money", "负债总额", "total liabilities", ["总负债"]),
    _f("net_profit", "money", "净利润", "net profit"),
    _f("cost_expense_total", "money", "成本费用支出总额", "total costs and expenses",
       ["成本费用总额"]),
    _f("new_equity_financing", "money", "新增股权融资额（合格机构投资者实缴）",
       "new equity financing from qualified investors, paid-in, in the year",
       ["新增股权融资", "新增股权融资额"]),
    # people
    _f("total_employees", "count", "职工总数", "total employees",
       ["从业人员", "职工人数", "从业人员数"]),
    _f("st_personnel", "count", "科技人员数", "S&T personnel",
       ["科技人员", "科技人员人数"], at_most="total_employees"),
    _f("rd_staff", "count", "研发人员数", "R&D staff", ["研发人员"],
       at_most="total_employees"),
    # IP and capabilities
    _f("class_i_ip", "count", "Ⅰ类知识产权数", "class-I IP rights related to main products",
       ["I类知识产权", "一类知识产权"]),
    _f("class_i_ip_self_developed", "count", "自主研发Ⅰ类知识产权数",
       "self-developed class-I IP rights", ["自主研发I类知识产权"], at_most="class_i_ip"),
    _f("class_i_ip_high_value", "count", "Ⅰ类高价值知识产权数",
       "high-value class-I IP rights", ["I类高价值知识产权"], at_most="class_i_ip"),
    _f("class_ii_ip", "count", "Ⅱ类知识产权数", "class-II IP rights",
       ["II类知识产权", "二类知识产权"]),
    _f("class_i_ip_in_use_leading_product", "count", "主导产品相关且已产生效益的Ⅰ类知识产权数",
       "class-I IP rights of the leading product in use with economic benefit"),
    _f("core_processes_with_information_system", "count", "采用信息系统支撑的核心业务数",
       "core business processes run on an information system"),
    _f("quality_conditions_met", "count", "质量管理条件满足项数",
       "quality-management conditions met (0-4: award, ISO 9001 etc., own brand, standards)"),
    _f("years_in_niche_market", "years", "从事特定细分市场年限",
       "years in the niche market at the end of the fiscal year", ["细分市场年限"]),
    _f("national_niche_market_share", "percent", "主导产品全国细分市场占有率",
       "national niche-market share of the leading product (percent)"),
    _f("niche_market_domestic_rank", "rank", "主导产品国内细分市场排名",
       "domestic niche-market rank of the leading product"),
    _f("digital_level", "count", "数字化水平等级", "digital-maturity level (1-4)"),
    _f("rd_institution_level", "count", "研发机构级别",
       "R&D institution level: 0 none, 1 below city, 2 city, 3 provincial, 4 national"),
    _f("registration_date", "date", "注册成立日期", "registration date",
       ["成立日期", "注册日期"]),
    # scores given by the user (assessed by hand)
    _f("innovation_capability_score", "points", "创新能力评价得分",
       "HNTE innovation-capability score (0-100)", ["企业创新能力评价得分"]),
    _f("sme_sjtx_development_score", "points", "专精特新发展评价得分",
       "SME specialisation development evaluation score (2026)"),
    _f("sjtx_local_feature_score", "points", "地方特色指标得分",
       "provincial feature-indicator score (specialised SME item 9, 0-15)"),
    _f("sjtx_leading_product_field_points", "points", "主导产品所属领域得分",
       "specialised SME item 4 points (0, 3 or 5)"),
    # ranks of awards: 1 = first; 0 or empty-as-'none' = no award
    _f("national_st_award_rank_last_3_years", "rank", "近三年国家级科技奖励排名",
       "rank among awarded units, national S&T award, last 3 years (0 = none)"),
    _f("national_st_award_rank_last_5_years", "rank", "近五年国家级科技奖励排名",
       "rank among awarded units, national S&T award, last 5 years (0 = none)"),
    _f("provincial_st_award_rank_last_3_years", "rank", "近三年省级科技奖励排名",
       "rank among awarded units, provincial S&T award, last 3 years (0 = none)"),
    # yes/no facts
    _f("owns_core_ip_for_main_products", "boolean", "拥有主要产品核心知识产权",
       "owns IP giving core technical support to main products"),
    _f("major_incident_in_year_before_application", "boolean",
       "申请前一年内发生重大安全质量事故或严重环境违法",
       "major safety/quality accident or serious environmental violation in the year "
       "before applying", ["重大事故"]),
    _f("is_specialized_sme", "boolean", "已认定专精特新中小企业",
       "already recognised as a specialised SME", ["专精特新中小企业"]),
    _f("has_management_or_product_certification", "boolean", "取得管理体系或产品认证",
       "holds a management-system or developed-market product certification"),
    _f("has_own_brand", "boolean", "拥有自主品牌", "owns a competitive own brand"),
    _f("has_rd_institution", "boolean", "建有研发机构", "has an (own or joint) R&D institution"),
    _f("has_recognized_provincial_rd_institution", "boolean", "拥有省部级以上研发机构",
       "has a recognised provincial-or-higher R&D institution"),
    _f("supply_chain_key_link", "boolean", "位于产业链关键环节",
       "at a key link of an industrial chain"),
    _f("maker_china_top50_last_3_years", "boolean", "近三年创客中国全国50强",
       "Maker China national top-50 enterprise group, last 3 years"),
    _f("maker_china_top500_last_3_years", "boolean", "近三年创客中国全国500强",
       "Maker China national top-500 enterprise group, last 3 years"),
    _f("st_award_last_3_years", "boolean", "近三年获得国家级省级科技奖励",
       "national or provincial S&T award, last 3 years"),
    _f("holds_listed_honour", "boolean", "拥有高企等有效荣誉",
       "holds a valid HNTE, technology-innovation demonstration or IP-advantage honour"),
    _f("is_mainland_resident_enterprise", "boolean", "境内注册居民企业",
       "resident enterprise registered in mainland China"),
    _f("in_prohibited_category", "boolean", "属于禁止限制淘汰类",
       "products in the prohibited, restricted or eliminated categories"),
    _f("clean_compliance_record", "boolean", "无重大事故及失信记录",
       "clean safety, quality, environment and credit record (previous and current year)"),
    _f("holds_valid_hnte_certificate", "boolean", "持有有效高企证书",
       "holds a valid HNTE certificate"),
    _f("led_standard_last_5_years", "boolean", "近五年主导制定标准",
       "led an international, national or industry standard, last 5 years"),
    _f("strategic_emerging_industry", "boolean", "主导产品属于战略性新兴产业",
       "leading product in the Strategic Emerging Industries classification"),
    # categories
    _f("core_technology_field", "category", "核心技术所属领域",
       "high-tech field of the core technology (one of the eight 2016 fields, in Chinese)",
       ["技术领域", "高新技术领域"]),
    _f("leading_product_field", "category", "主导产品所属领域",
       "field of the leading product (manufacturing_core_basics, "
       "ten_key_manufacturing_industries, cyber_power_fields, ...)"),
]}

KEY_ALIASES = {
    "firm_id": ("firm_id", "enterprise_id", "企业编号", "企业代码", "统一社会信用代码", "企业id"),
    "fiscal_year": ("fiscal_year", "year", "会计年度", "年度", "年份"),
}

#: descriptive columns carried to the output and used for summaries
DESCRIPTIVE = {
    "name": ("name", "企业名称", "名称"),
    "region_code": ("region_code", "region", "地区", "地区代码", "行政区划代码"),
    "industry_code": ("industry_code", "industry", "行业", "行业代码"),
    "cluster": ("cluster", "集群", "产业集群"),
}


def alias_map() -> dict[str, str]:
    """Header as written (lower-cased, stripped) -> canonical field name."""
    out: dict[str, str] = {}
    for name, f in FIELDS.items():
        for a in (name, f.zh, *f.aliases):
            out[_norm(a)] = name
    for canon, aliases in {**KEY_ALIASES, **DESCRIPTIVE}.items():
        for a in aliases:
            out[_norm(a)] = canon
    return out


def _norm(header: str) -> str:
    return "".join(str(header).split()).lower().replace("（", "(").replace("）", ")")


def canonical(header: str) -> str | None:
    """The canonical name of a header, or None when it is not a known field."""
    return alias_map().get(_norm(header))
