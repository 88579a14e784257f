"""Demo leads (org/demo.py runs this step after the people exist): per business unit a default lead
pool with a 24-hour contact timeout open to its sales centre, assignment rules (by region for 华东,
round-robin in the sales centre otherwise), a website form, and a dozen leads captured through the
services — some assigned by the rules, some waiting in the pool, one qualified, one invalid.

Idempotent: nothing is done once the first demo pool exists, or outside the demo group.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, Team, UserRole

from . import configuration, services
from .choices import AssignmentMethod, LeadStatus, TimeoutAction
from .models import LeadPool

POOL_NAME = "公共线索池"

# (company, contact, title, mobile, province, city, industry, product interest, source)
LEADS: dict[str, list[tuple[str, str, str, str, str, str, str, str, str]]] = {
    "ind": [
        (
            "上海精工机械有限公司",
            "陈立",
            "采购经理",
            "13816620001",
            "上海市",
            "上海市",
            "制造业",
            "数控机床",
            "exhibition",
        ),
        (
            "杭州恒远自动化设备有限公司",
            "王蕾",
            "技术总监",
            "13916620002",
            "浙江省",
            "杭州市",
            "制造业",
            "工业机器人",
            "web",
        ),
        (
            "苏州华创精密制造有限公司",
            "李强",
            "厂长",
            "13716620003",
            "江苏省",
            "苏州市",
            "制造业",
            "自动化产线",
            "referral",
        ),
        (
            "广州粤海汽车零部件有限公司",
            "黄敏",
            "设备部主管",
            "13616620004",
            "广东省",
            "广州市",
            "汽车",
            "数控机床",
            "phone",
        ),
        (
            "北京京城重工集团",
            "赵刚",
            "副总经理",
            "13516620005",
            "北京市",
            "北京市",
            "重工",
            "工业机器人",
            "advertising",
        ),
    ],
    "med": [
        ("上海仁心医院", "刘芳", "设备科科长", "13816620011", "上海市", "上海市", "医疗", "影像设备", "exhibition"),
        ("武汉同济检测中心", "周杰", "实验室主任", "13916620012", "湖北省", "武汉市", "检测", "体外诊断", "web"),
        (
            "成都华西医疗器械有限公司",
            "吴静",
            "采购专员",
            "13716620013",
            "四川省",
            "成都市",
            "医疗",
            "手术耗材",
            "partner",
        ),
    ],
    "energy": [
        ("苏州光能科技有限公司", "孙浩", "项目经理", "13816620021", "江苏省", "苏州市", "新能源", "储能系统", "web"),
        (
            "合肥新源电力工程有限公司",
            "马丽",
            "总工程师",
            "13916620022",
            "安徽省",
            "合肥市",
            "电力",
            "光伏逆变器",
            "referral",
        ),
        ("深圳速充科技有限公司", "朱伟", "运营总监", "13716620023", "广东省", "深圳市", "交通", "充电桩", "cold"),
        (
            "西安秦能储能有限公司",
            "胡静",
            "采购经理",
            "13616620024",
            "陕西省",
            "西安市",
            "新能源",
            "储能系统",
            "exhibition",
        ),
    ],
}


def _first_with_role(role_code: str, business_unit: BusinessUnit) -> Any:
    grant = (
        UserRole.objects.filter(role__code=role_code, user__is_active=True)
        .filter(user__business_unit=business_unit)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return grant.user if grant else None


def _load_bu(business_unit: BusinessUnit, rows: list[Any], created: Counter[str]) -> None:
    head = _first_with_role("bu_head", business_unit)
    sales_centre = Team.objects.filter(business_unit=business_unit, name="销售中心", parent__isnull=True).first()
    if head is None or sales_centre is None:
        return
    pool = configuration.pool_create(
        actor=head,
        business_unit=business_unit,
        name=POOL_NAME,
        description="官网、展会和电话进来的线索先到这里，24 小时内须首次联系。",
        is_default=True,
        contact_within_hours=24,
        timeout_action=TimeoutAction.REASSIGN,
        member_teams=[sales_centre],
    )
    created["lead pools"] += 1
    east = Team.objects.filter(business_unit=business_unit, name="华东大区").first()
    if east is not None:
        configuration.rule_create(
            actor=head,
            business_unit=business_unit,
            name="华东线索给华东大区",
            priority=10,
            method=AssignmentMethod.REGION,
            values=["上海", "浙江", "江苏", "安徽"],
            team=east,
            fallback_pool=pool,
        )
        created["assignment rules"] += 1
    configuration.rule_create(
        actor=head,
        business_unit=business_unit,
        name="其余线索在销售中心轮流分配",
        priority=100,
        method=AssignmentMethod.ROUND_ROBIN,
        team=sales_centre,
        fallback_pool=pool,
    )
    created["assignment rules"] += 1
    configuration.webform_create(
        actor=head,
        business_unit=business_unit,
        pool=pool,
        name="官网咨询表单",
        campaign="官网",
        thank_you="感谢您的咨询，我们的销售顾问将在 24 小时内与您联系。",
    )
    created["web forms"] += 1
    for index, (company, contact, title, mobile, province, city, industry, product, source) in enumerate(rows):
        lead = services.lead_create(
            actor=head,
            business_unit=business_unit,
            fields={
                "company": company,
                "contact_name": contact,
                "contact_title": title,
                "mobile": mobile,
                "province": province,
                "city": city,
                "industry": industry,
                "product_interest": product,
                "source": source,
            },
            pool=pool,
            by_rules=index % 3 != 2,  # every third one waits in the pool to be claimed
            tags=["展会"] if source == "exhibition" else [],
            check_duplicates=False,
        )
        created["leads"] += 1
        if index == 1 and lead.owner_id:
            services.lead_update(actor=head, lead=lead, fields={}, status=LeadStatus.QUALIFIED)
        elif index == 4:
            services.lead_mark_invalid(actor=head, lead=lead, reason="空号，无法联系")


def load(created: Counter[str]) -> None:
    if LeadPool.objects.filter(name=POOL_NAME).exists():
        return
    for business_unit in BusinessUnit.objects.filter(code__in=LEADS).order_by("code"):
        _load_bu(business_unit, LEADS[business_unit.code], created)


register_demo_step(load)
