"""Demo customers (org/demo.py runs this step after the people exist): each BU's public pools first
(pools.demo_pools), then customers owned by the BUs' account managers with contacts and follow-ups
— one due today for My day, one visit with a check-in, one customer forgotten for two months, one
company worked by two BUs — and last a few planted duplicates (duplicates.demo_plant).

Written through the services (validated, audited, the duplicate check run) as the reps themselves.
Idempotent: when the first demo customer exists, only the pools and duplicates steps run (each is
idempotent on its own).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from xietong.core.validators import credit_code_check_char
from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, User

from .models import Customer, Relationship

DEMO_TAG = "演示"

# (name, province, city, industry, level, contact, title, mobile, division code)
CUSTOMERS: dict[str, list[tuple[str, str, str, str, str, str, str, str, str]]] = {
    "ind": [
        (
            "苏州恒瑞精密机械有限公司",
            "江苏省",
            "苏州市",
            "通用设备",
            "A",
            "周建国",
            "采购总监",
            "13912340001",
            "320505",
        ),
        (
            "宁波海天塑机配套有限公司",
            "浙江省",
            "宁波市",
            "塑料机械",
            "B",
            "陈丽",
            "设备部经理",
            "13912340002",
            "330206",
        ),
        (
            "广州白云汽车零部件有限公司",
            "广东省",
            "广州市",
            "汽车零部件",
            "B",
            "黄志强",
            "厂长",
            "13912340003",
            "440111",
        ),
        ("北京燕山精工科技有限公司", "北京市", "北京市", "航空配套", "C", "刘洋", "技术总监", "13912340004", "110108"),
        ("杭州钱塘智能装备有限公司", "浙江省", "杭州市", "智能装备", "C", "吴静", "总经理", "13912340005", "330114"),
    ],
    "med": [
        (
            "上海仁济影像诊断中心有限公司",
            "上海市",
            "上海市",
            "医学影像",
            "A",
            "孙明",
            "设备科科长",
            "13912340011",
            "310115",
        ),
        ("南京鼓楼医学检验所有限公司", "江苏省", "南京市", "第三方检验", "B", "钱芳", "主任", "13912340012", "320106"),
        ("武汉光谷生物医药有限公司", "湖北省", "武汉市", "生物医药", "C", "郑伟", "采购经理", "13912340013", "420111"),
        ("成都锦江妇产医院有限公司", "四川省", "成都市", "民营医院", "B", "王蓉", "院长助理", "13912340014", "510104"),
    ],
    "energy": [
        (
            "苏州吴中光伏电站运营有限公司",
            "江苏省",
            "苏州市",
            "光伏运营",
            "A",
            "许杰",
            "运维总监",
            "13912340021",
            "320506",
        ),
        ("合肥新站储能科技有限公司", "安徽省", "合肥市", "储能", "B", "何敏", "项目经理", "13912340022", "340104"),
        ("深圳前海充电网络有限公司", "广东省", "深圳市", "充电运营", "C", "林涛", "采购主管", "13912340023", "440305"),
    ],
}
# a company two BUs work with: created by the industrial BU, then linked by the energy BU
SHARED = (
    "江苏常州天合新材料股份有限公司",
    "江苏省",
    "常州市",
    "新材料",
    "A",
    "蒋红",
    "副总经理",
    "13912340031",
    "320411",
)

FOLLOW_UPS = [
    ("call", "电话沟通年度采购计划，客户预计二季度启动招标。", "发送产品资料"),
    ("visit", "现场拜访设备部，参观产线，了解现有设备使用年限。", "约技术交流会"),
    ("wechat", "微信发送报价单和案例，客户表示会内部评估。", "等待反馈"),
]


def _code(division: str, serial: int) -> str:
    first17 = f"91{division}MA{serial:07d}"[:17]
    first17 = first17.ljust(17, "0")
    return first17 + credit_code_check_char(first17)


def _at(days: int, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour, 0)))


def _reps(bu: BusinessUnit) -> list[User]:
    return list(
        User.objects.filter(is_active=True, business_unit=bu, user_roles__role__code="sales_rep")
        .distinct()
        .order_by("pk")[:4]
    )


def _create(rep: User, bu: BusinessUnit, spec: tuple[str, ...], serial: int, created: Counter[str]) -> Relationship:
    from . import services

    name, province, city, industry, level, contact, title, mobile, division = spec
    rel = services.customer_create(
        actor=rep,
        business_unit=bu,
        fields={
            "name": name,
            "credit_code": _code(division, serial),
            "province": province,
            "city": city,
            "industry": industry,
            "source": "exhibition" if serial % 2 else "referral",
            "tags": [DEMO_TAG],
        },
        contacts=[{"name": contact, "title": title, "mobile": mobile, "decision_role": "decision_maker"}],
    )
    services.relationship_update(actor=rep, relationship=rel, level=level)
    created["customers"] += 1
    created["relationships"] += 1
    created["contacts"] += 1
    return rel


def _follow_ups(rep: User, rel: Relationship, index: int, created: Counter[str]) -> None:
    from . import followups

    for step, (kind, content, outcome) in enumerate(FOLLOW_UPS[: 1 + index % 3]):
        last = step == index % 3
        check_in = {"latitude": "31.298900", "longitude": "120.585300", "accuracy": 25} if kind == "visit" else None
        followups.followup_create(
            actor=rep,
            record=rel.customer,
            kind=kind,
            content=content,
            outcome=outcome,
            occurred_at=_at(-20 + 6 * step, 10),
            next_at=(_at(0, 15) if index % 2 == 0 else _at(3, 10)) if last else None,
            check_in=check_in,
        )
        created["follow-ups"] += 1


def load(created: Counter[str]) -> None:
    from . import duplicates, pools

    pools.demo_pools(created)
    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in=CUSTOMERS)}
    first = CUSTOMERS["ind"][0][0]
    if len(units) == len(CUSTOMERS) and not Customer.objects.filter(name=first).exists():
        serial = 1
        for code, specs in CUSTOMERS.items():
            reps = _reps(units[code])
            if not reps:
                continue
            for index, spec in enumerate(specs):
                rep = reps[index % len(reps)]
                rel = _create(rep, units[code], spec, serial, created)
                serial += 1
                if index == len(specs) - 1:  # forgotten: the last follow-up two months ago
                    Relationship.objects.filter(pk=rel.pk).update(
                        last_follow_up_at=_at(-60, 10), next_follow_up_at=None, created_at=_at(-90, 9)
                    )
                else:
                    _follow_ups(rep, rel, index, created)
        ind, energy = _reps(units["ind"]), _reps(units["energy"])
        if ind and energy:
            rel = _create(ind[0], units["ind"], SHARED, serial, created)
            _follow_ups(ind[0], rel, 1, created)
            _link(energy[0], units["energy"], rel.customer, created)
    duplicates.demo_plant(created)


def _link(rep: User, bu: BusinessUnit, customer: Customer, created: Counter[str]) -> Any:
    from . import services

    rel = services.customer_create(actor=rep, business_unit=bu, fields={"name": customer.name}, link_to=customer)
    created["relationships"] += 1
    return rel


register_demo_step(load)
