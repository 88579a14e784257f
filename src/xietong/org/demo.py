"""The demo group: a realistic organisation to try the product with and to benchmark it at scale.

``load_demo_data`` builds 华信集团 with three business units, a team tree per BU (management
office, a sales centre with regions and city groups, and the pre-sales, supply, production,
operations, finance and service departments), 46 people with their roles, and, for the
benchmark scales, many more teams and users spread over the same trees.

Three properties matter more than the data itself:

- **Deterministic.** Everything comes from seeded ``random.Random`` streams, never from the
  database: a plan is computed first, then written. Two fresh databases get the same usernames,
  teams and order; the plan of a larger scale starts with the plan of a smaller one, so loading
  ``100k`` after ``smoke`` only adds the difference.
- **Idempotent and quick on every start.** The app's run command calls this on each start. A
  successful load leaves one audit entry (verb ``demo_data``) on the group recording how many
  extra users it covers; when that covers the requested scale, nothing is read or written
  beyond a handful of queries. Otherwise (or with ``force``) every record is looked up by its
  natural key (BU code, team name under its parent, username) and only missing ones are
  created. Memberships, manager flags and roles are created together with their user and never
  re-added later, so an administrator's edits to demo users stand.
- **Fast at scale.** Rows are written with ``bulk_create`` in batches inside one transaction;
  all demo users share one password hash (hashing a million Argon2 passwords would take a day,
  and the password is published anyway); team paths are set with one ``UPDATE`` per tree level.

It writes through plain model code rather than the services because the services need an acting
user and this is the bootstrap that creates the first one. It keeps the services' invariants by
hand: ``User.business_unit`` is the primary team's BU, the primary team is a membership, and a
team's ``path`` and ``depth`` are what ``Team.compute_path`` gives (``/bu{bu_id}/{id}/`` at the top).
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import translation
from django.utils.translation import gettext

from xietong.core import audit
from xietong.core.models import AuditEntry
from xietong.core.validators import credit_code_check_char

from .choices import TeamType
from .defaults import BUILTIN_ROLES, ensure_default_roles
from .models import BusinessUnit, Group, Role, Team, TeamMembership, User, UserRole

SEED = 20260101
DEMO_PASSWORD = "demo12345"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin12345"
EMAIL_DOMAIN = "demo.xietong.cn"

# Scale name → how many users are added beyond the 46 of the demo group.
SCALES: dict[str, int] = {"demo": 0, "smoke": 500, "100k": 100_000, "1M": 1_000_000}

GROUP_NAME = "华信集团"
GROUP_SHORT_NAME = "华信"
# Shanghai Pudong (310115), registered with the market regulator (9) as a company (1).
GROUP_CREDIT_CODE = "91310115MA1K3Y6N2" + credit_code_check_char("91310115MA1K3Y6N2")

MARKER_VERB = "demo_data"
USER_BATCH = 5000

TeamKey = tuple[str, ...]  # (bu code, top team name, child name, …): the team's natural key


# --- the fixed part: business units and their trees -----------------------------------------


@dataclass(frozen=True)
class RegionSpec:
    name: str
    groups: tuple[str, ...]
    has_manager: bool  # a region without its own manager is run by the sales director


@dataclass(frozen=True)
class BusinessUnitSpec:
    code: str
    name: str
    description: str
    product_lines: tuple[str, ...]
    regions: tuple[RegionSpec, ...]
    has_channel_team: bool = False


BUSINESS_UNITS: tuple[BusinessUnitSpec, ...] = (
    BusinessUnitSpec(
        "ind",
        "工业设备事业部",
        "面向制造业客户的数控机床、工业机器人与自动化产线整体解决方案。",
        ("数控机床", "工业机器人", "自动化产线"),
        (
            RegionSpec("华东大区", ("上海组", "杭州组"), True),
            RegionSpec("华南大区", ("广州组",), True),
            RegionSpec("华北大区", ("北京组",), False),
        ),
    ),
    BusinessUnitSpec(
        "med",
        "医疗器械事业部",
        "面向医院与第三方检测机构的影像设备、体外诊断与手术耗材。",
        ("影像设备", "体外诊断", "手术耗材"),
        (
            RegionSpec("华东大区", ("上海组", "南京组"), True),
            RegionSpec("华中大区", ("武汉组",), True),
            RegionSpec("西南大区", ("成都组",), False),
        ),
    ),
    BusinessUnitSpec(
        "energy",
        "新能源事业部",
        "工商业储能、光伏逆变器与充电桩，直销与渠道并行。",
        ("储能系统", "光伏逆变器", "充电桩"),
        (
            RegionSpec("华东大区", ("苏州组", "合肥组"), True),
            RegionSpec("华南大区", ("深圳组",), True),
            RegionSpec("西北大区", ("西安组",), False),
        ),
        has_channel_team=True,
    ),
)

MANAGEMENT_TEAM = "总经理办公室"
SALES_CENTER = "销售中心"
SERVICE_DEPARTMENT = "售后服务部"
# Departments beside the sales centre: (name, team type, role of the person in it, job title).
DEPARTMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("售前技术部", TeamType.PRESALES, "presales", "售前工程师"),
    ("供应计划部", TeamType.SUPPLY, "supply_planner", "供应计划员"),
    ("生产计划部", TeamType.PRODUCTION, "production_planner", "生产计划员"),
    ("运营交付部", TeamType.OPERATIONS, "operations", "运营专员"),
    ("财务部", TeamType.FINANCE, "finance", "财务专员"),
    (SERVICE_DEPARTMENT, TeamType.SERVICE, "service", "售后服务工程师"),
)
CHANNEL_TEAM = "渠道合作部"

# Surnames and given names with the pinyin used for usernames (tones and ü dropped, as in logins).
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("苏", "su"),
    ("魏", "wei"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("姚", "yao"),
    ("卢", "lu"),
)
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("建华", "jianhua"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
    ("晓东", "xiaodong"),
    ("文博", "wenbo"),
    ("思远", "siyuan"),
    ("雨桐", "yutong"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("欣怡", "xinyi"),
    ("宇航", "yuhang"),
    ("佳琪", "jiaqi"),
    ("俊杰", "junjie"),
    ("梦瑶", "mengyao"),
    ("志伟", "zhiwei"),
    ("丹", "dan"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("斌", "bin"),
    ("婷", "ting"),
    ("倩", "qian"),
    ("颖", "ying"),
    ("琳", "lin"),
    ("博", "bo"),
    ("凯", "kai"),
    ("晨", "chen"),
    ("雪梅", "xuemei"),
    ("国栋", "guodong"),
    ("立新", "lixin"),
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)

# --- the scaled part: more city groups, provinces and service stations ------------------------

REGION_CITIES: dict[str, tuple[str, ...]] = {
    "华东大区": ("上海", "杭州", "南京", "苏州", "宁波", "无锡", "合肥", "福州", "厦门", "济南", "青岛"),
    "华南大区": ("广州", "深圳", "东莞", "佛山", "珠海", "南宁", "海口"),
    "华北大区": ("北京", "天津", "石家庄", "太原", "唐山", "呼和浩特"),
    "华中大区": ("武汉", "长沙", "郑州", "南昌", "宜昌", "洛阳"),
    "西南大区": ("成都", "重庆", "昆明", "贵阳", "绵阳"),
    "西北大区": ("西安", "兰州", "银川", "西宁", "乌鲁木齐"),
}
ALL_CITIES: tuple[str, ...] = tuple(dict.fromkeys(c for cities in REGION_CITIES.values() for c in cities))
# Province regions opened at scale (江苏省区 …), each with its own cities.
PROVINCE_CITIES: dict[str, tuple[str, ...]] = {
    "江苏": ("南京", "苏州", "无锡", "常州", "南通", "徐州", "扬州"),
    "浙江": ("杭州", "宁波", "温州", "绍兴", "嘉兴", "台州", "金华"),
    "广东": ("广州", "深圳", "东莞", "佛山", "珠海", "中山", "惠州"),
    "山东": ("济南", "青岛", "烟台", "潍坊", "临沂", "淄博"),
    "四川": ("成都", "绵阳", "德阳", "宜宾", "南充"),
    "河南": ("郑州", "洛阳", "新乡", "南阳", "许昌"),
    "湖北": ("武汉", "宜昌", "襄阳", "荆州", "黄石"),
    "湖南": ("长沙", "株洲", "湘潭", "衡阳", "岳阳"),
    "福建": ("福州", "厦门", "泉州", "漳州", "莆田"),
    "安徽": ("合肥", "芜湖", "蚌埠", "马鞍山", "安庆"),
    "河北": ("石家庄", "唐山", "保定", "廊坊", "邯郸"),
    "陕西": ("西安", "宝鸡", "咸阳", "榆林"),
    "辽宁": ("沈阳", "大连", "鞍山", "锦州"),
    "江西": ("南昌", "赣州", "九江", "上饶"),
    "云南": ("昆明", "曲靖", "玉溪", "大理"),
    "广西": ("南宁", "柳州", "桂林", "北海"),
}
NUMERALS = "一二三四五六七八九十"
BU_WEIGHTS = {"ind": 45, "med": 30, "energy": 25}
GROUPS_PER_REGION = 40
STATION_SHARE = 0.15


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamSpec:
    key: TeamKey
    team_type: str

    @property
    def level(self) -> int:
        return len(self.key) - 1


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    last_name: str
    first_name: str
    mobile: str
    title: str
    team: TeamKey | None
    manages: tuple[TeamKey, ...]
    role: str
    role_bu: str | None  # the role is limited to this BU (code); None: group-wide
    is_admin: bool = False


@dataclass
class Plan:
    teams: list[TeamSpec]
    users: list[UserSpec]  # the demo group itself
    extra_users: Iterable[UserSpec]  # a one-pass stream: a million specs need not sit in memory at once
    extra_count: int


def _numbered(base: str, k: int, suffix: str) -> str:
    """上海一组, 上海二组 … 上海十组, 上海11组: how teams are numbered in practice."""
    return f"{base}{NUMERALS[k - 1] if k <= len(NUMERALS) else k}{suffix}"


class _People:
    """Deterministic people: names, pinyin logins and mobile numbers from one seeded stream."""

    def __init__(self, stream: str) -> None:
        self.rng = random.Random(f"{SEED}/{stream}")  # noqa: S311  (reproducible data, not secrets)

    def person(self) -> tuple[str, str, str, str]:
        surname, surname_py = self.rng.choice(SURNAMES)
        given, given_py = self.rng.choice(GIVEN_NAMES)
        return surname, given, surname_py, given_py

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


def _demo_plan() -> tuple[list[TeamSpec], list[UserSpec]]:
    """The 46 teams and 46 people of the demo group (see the module docstring)."""
    teams: list[TeamSpec] = []
    people = _People("people/demo")
    users: list[UserSpec] = []
    taken_names: set[str] = set()
    taken_logins: set[str] = {ADMIN_USERNAME}
    taken_mobiles: set[str] = set()

    def add_user(title: str, team: TeamKey, role: str, bu: str, manages: tuple[TeamKey, ...] = ()) -> None:
        while True:
            surname, given, surname_py, given_py = people.person()
            if surname + given not in taken_names:
                break
        taken_names.add(surname + given)
        base = login = f"{surname_py}.{given_py}"
        for n in itertools.count(2):  # 徐伟 and 许伟 are both xu.wei: the second is xu.wei2
            if login not in taken_logins:
                break
            login = f"{base}{n}"
        taken_logins.add(login)
        mobile = people.mobile()
        while mobile in taken_mobiles:
            mobile = people.mobile()
        taken_mobiles.add(mobile)
        users.append(
            UserSpec(
                username=login,
                display_name=surname + given,
                last_name=surname,
                first_name=given,
                mobile=mobile,
                title=title,
                team=team,
                manages=manages,
                role=role,
                role_bu=bu,
            )
        )

    users.append(
        UserSpec(
            username=ADMIN_USERNAME,
            display_name="系统管理员",
            last_name="",
            first_name="",
            mobile="",
            title="系统管理员",
            team=None,
            manages=(),
            role="admin",
            role_bu=None,
            is_admin=True,
        )
    )
    for bu in BUSINESS_UNITS:
        office, sales = (bu.code, MANAGEMENT_TEAM), (bu.code, SALES_CENTER)
        top: list[TeamKey] = [office, sales]
        teams += [TeamSpec(office, TeamType.MANAGEMENT), TeamSpec(sales, TeamType.SALES)]
        for region in bu.regions:
            teams.append(TeamSpec((*sales, region.name), TeamType.SALES))
            teams += [TeamSpec((*sales, region.name, group), TeamType.SALES) for group in region.groups]
        for name, team_type, _role, _title in DEPARTMENTS:
            teams.append(TeamSpec((bu.code, name), team_type))
            top.append((bu.code, name))
        if bu.has_channel_team:
            teams.append(TeamSpec((bu.code, CHANNEL_TEAM), TeamType.CHANNEL))
            top.append((bu.code, CHANNEL_TEAM))

        add_user("事业部总经理", office, "bu_head", bu.code, manages=tuple(top))
        add_user("销售总监", sales, "sales_manager", bu.code, manages=(sales,))
        for region in bu.regions:
            if region.has_manager:
                key = (*sales, region.name)
                add_user("大区经理", key, "sales_manager", bu.code, manages=(key,))
        for index, region in enumerate(bu.regions):
            for number, group in enumerate(region.groups):
                for _ in range(2 if index == 0 and number == 0 else 1):  # the first city group has two reps
                    add_user("客户经理", (*sales, region.name, group), "sales_rep", bu.code)
        for name, _type, role, title in DEPARTMENTS:
            add_user(title, (bu.code, name), role, bu.code)
    return teams, users


@dataclass(frozen=True)
class _Block:
    """A new team at scale and how many people it gets; its first person manages it."""

    team: TeamSpec
    size: int
    lead_role: str
    lead_title: str
    member_role: str
    member_title: str


def _extra_blocks(count: int) -> Iterator[_Block]:
    """The teams added at scale, in order, until ``count`` people are placed.

    Sales city groups go under the demo regions, 40 per region, then under new province
    regions (a region starts as a block of one: its manager); service stations go under each
    BU's service department. The stream depends only on the seed, so a smaller count yields a
    prefix of a larger one (the last team may be smaller).
    """
    rng = random.Random(f"{SEED}/structure")  # noqa: S311  (reproducible data, not secrets)
    codes, weights = list(BU_WEIGHTS), list(BU_WEIGHTS.values())
    base_regions = {bu.code: [r.name for r in bu.regions] for bu in BUSINESS_UNITS}
    regions = {code: list(names) for code, names in base_regions.items()}
    provinces = list(PROVINCE_CITIES)
    groups: Counter[str] = Counter()
    stations: Counter[str] = Counter()
    placed = 0
    while placed < count:
        bu = rng.choices(codes, weights)[0]
        if rng.random() < STATION_SHARE:
            j = stations[bu]
            stations[bu] += 1
            city = ALL_CITIES[j % len(ALL_CITIES)]
            k = j // len(ALL_CITIES) + 1
            name = f"{city}服务站" if k == 1 else _numbered(f"{city}第", k, "服务站")
            block = _Block(
                TeamSpec((bu, SERVICE_DEPARTMENT, name), TeamType.SERVICE),
                rng.randint(5, 15),
                "service",
                "服务站站长",
                "service",
                "售后服务工程师",
            )
        else:
            j = groups[bu]
            groups[bu] += 1
            slot, index = divmod(j, GROUPS_PER_REGION)
            if slot >= len(regions[bu]):  # the regions so far are full: open the next province
                extra = slot - len(base_regions[bu])
                regions[bu].append(f"{provinces[extra]}省区" if extra < len(provinces) else f"拓展{extra + 1}区")
                region = TeamSpec((bu, SALES_CENTER, regions[bu][slot]), TeamType.SALES)
                yield _Block(region, 1, "sales_manager", "省区经理", "sales_rep", "客户经理")
                placed += 1
                if placed >= count:
                    return
            region_name = regions[bu][slot]
            cities = REGION_CITIES.get(region_name) or PROVINCE_CITIES.get(region_name[:-2], ALL_CITIES)
            name = _numbered(cities[index % len(cities)], index // len(cities) + 1, "组")
            block = _Block(
                TeamSpec((bu, SALES_CENTER, region_name, name), TeamType.SALES),
                rng.randint(8, 30),
                "sales_manager",
                "销售主管",
                "sales_rep",
                "客户经理",
            )
        block = replace(block, size=min(block.size, count - placed))
        yield block
        placed += block.size


def _extra_users(blocks: Iterable[_Block]) -> Iterator[UserSpec]:
    people = _People("people/extra")
    seats = ((block, position) for block in blocks for position in range(block.size))
    for number, (block, position) in enumerate(seats, start=1):
        surname, given, surname_py, given_py = people.person()
        lead = position == 0
        yield UserSpec(
            username=f"{surname_py}.{given_py}.{number}",
            display_name=surname + given,
            last_name=surname,
            first_name=given,
            mobile=people.mobile(),
            title=block.lead_title if lead else block.member_title,
            team=block.team.key,
            manages=(block.team.key,) if lead else (),
            role=block.lead_role if lead else block.member_role,
            role_bu=block.team.key[0],
        )


def build_plan(extra_users: int = 0) -> Plan:
    """The whole plan for the demo group plus ``extra_users`` people. Pure: no database access."""
    teams, users = _demo_plan()
    blocks = list(_extra_blocks(extra_users))
    return Plan(
        teams=teams + [b.team for b in blocks], users=users, extra_users=_extra_users(blocks), extra_count=extra_users
    )


# --- writing the plan -------------------------------------------------------------------------


@dataclass
class LoadResult:
    scale: str
    extra_users: int
    skipped: bool
    created: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def created_rows(self) -> int:
        return sum(self.created.values())


Progress = Callable[[str, int, int], None]


def _placeholder_group_names() -> set[str]:
    """The names ``group_get`` gives a group it creates, in every language."""
    names = set()
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            names.add(gettext("Our group"))
    return names


def _ensure_group(created: Counter[str]) -> Group:
    """The one group row: created as 华信集团, or filled in if ``group_get`` made a placeholder."""
    group = Group.objects.order_by("pk").first()
    if group is None:
        created["group"] += 1
        return Group.objects.create(name=GROUP_NAME, short_name=GROUP_SHORT_NAME, credit_code=GROUP_CREDIT_CODE)
    if not group.credit_code and group.name in _placeholder_group_names():
        group.name, group.short_name, group.credit_code = GROUP_NAME, GROUP_SHORT_NAME, GROUP_CREDIT_CODE
        group.save(update_fields=["name", "short_name", "credit_code", "updated_at"])
    return group


def _loaded_extra_users(group: Group) -> int | None:
    """How many extra users earlier loads covered (None: the demo was never loaded)."""
    markers = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Group),
            object_id=str(group.pk),
            verb=MARKER_VERB,
        )
        .order_by()
        .values_list("changes", flat=True)
    )
    covered = [int(changes.get("extra_users", [None, 0])[1]) for changes in markers]
    return max(covered) if covered else None


def _ensure_business_units(created: Counter[str]) -> dict[str, int]:
    existing = dict(BusinessUnit.objects.filter(code__in=[bu.code for bu in BUSINESS_UNITS]).values_list("code", "pk"))
    new = [
        BusinessUnit(code=bu.code, name=bu.name, description=bu.description, product_lines="、".join(bu.product_lines))
        for bu in BUSINESS_UNITS
        if bu.code not in existing
    ]
    BusinessUnit.objects.bulk_create(new)
    created["business units"] += len(new)
    return existing | {bu.code: bu.pk for bu in new}


def _existing_team_keys(bu_ids: dict[str, int]) -> dict[TeamKey, int]:
    code_of = {pk: code for code, pk in bu_ids.items()}
    rows = {
        pk: (parent_id, name, bu_id)
        for pk, parent_id, name, bu_id in Team.objects.filter(business_unit_id__in=list(code_of)).values_list(
            "pk", "parent_id", "name", "business_unit_id"
        )
    }
    keys: dict[int, TeamKey] = {}

    def key_of(pk: int) -> TeamKey:
        if pk not in keys:
            parent_id, name, bu_id = rows[pk]
            keys[pk] = (*(key_of(parent_id) if parent_id else (code_of[bu_id],)), name)
        return keys[pk]

    return {key_of(pk): pk for pk in rows}


def _ensure_teams(specs: list[TeamSpec], bu_ids: dict[str, int], created: Counter[str]) -> dict[TeamKey, int]:
    """Create the missing teams level by level, then set their paths in SQL, one UPDATE per level."""
    ids = _existing_team_keys(bu_ids)
    for level in sorted({spec.level for spec in specs}):
        missing = [spec for spec in specs if spec.level == level and spec.key not in ids]
        if not missing:
            continue
        new = [
            Team(
                business_unit_id=bu_ids[spec.key[0]],
                parent_id=ids[spec.key[:-1]] if level > 1 else None,
                name=spec.key[-1],
                team_type=spec.team_type,
            )
            for spec in missing
        ]
        Team.objects.bulk_create(new, batch_size=2000)
        ids.update((spec.key, team.pk) for spec, team in zip(missing, new, strict=True))
        as_text = Cast("id", CharField())
        if level == 1:
            path = Concat(Value("/bu"), Cast("business_unit_id", CharField()), Value("/"), as_text, Value("/"))
        else:
            path = Concat(
                Subquery(Team.objects.filter(pk=OuterRef("parent_id")).values("path")[:1]), as_text, Value("/")
            )
        # The same path and depth as Team.compute_path: a top team (level 1) has depth 0.
        Team.objects.filter(pk__gte=min(team.pk for team in new), path="").update(path=path, depth=level - 1)
        created["teams"] += len(new)
    return ids


def _write_users(
    specs: Iterable[UserSpec],
    *,
    total: int,
    team_ids: dict[TeamKey, int],
    bu_ids: dict[str, int],
    roles: dict[str, Role],
    hashes: Callable[[str], str],
    created: Counter[str],
    progress: Progress | None,
) -> None:
    """Create the users that do not exist yet, with their memberships and roles, in batches."""
    done = 0
    for chunk in itertools.batched(specs, USER_BATCH):
        existing = set(User.objects.filter(username__in=[s.username for s in chunk]).values_list("username", flat=True))
        missing = [spec for spec in chunk if spec.username not in existing]
        users = [
            User(
                username=spec.username,
                display_name=spec.display_name,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@{EMAIL_DOMAIN}",
                mobile=spec.mobile,
                title=spec.title,
                primary_team_id=team_ids[spec.team] if spec.team else None,
                business_unit_id=bu_ids[spec.team[0]] if spec.team else None,
                password=hashes(ADMIN_PASSWORD if spec.is_admin else DEMO_PASSWORD),
                is_staff=spec.is_admin,
                is_superuser=spec.is_admin,
            )
            for spec in missing
        ]
        User.objects.bulk_create(users, batch_size=1000)
        memberships: list[TeamMembership] = []
        grants: list[UserRole] = []
        for spec, user in zip(missing, users, strict=True):
            for key in dict.fromkeys([*([spec.team] if spec.team else []), *spec.manages]):
                memberships.append(
                    TeamMembership(team_id=team_ids[key], user_id=user.pk, is_manager=key in spec.manages)
                )
            grants.append(
                UserRole(
                    user_id=user.pk,
                    role_id=roles[spec.role].pk,
                    business_unit_id=bu_ids[spec.role_bu] if spec.role_bu else None,
                )
            )
        TeamMembership.objects.bulk_create(memberships, batch_size=5000)
        UserRole.objects.bulk_create(grants, batch_size=5000)
        created["users"] += len(users)
        created["memberships"] += len(memberships)
        created["role assignments"] += len(grants)
        done += len(chunk)
        if progress is not None:
            progress("users", done, total)


# Later apps add their demo records (tasks, comments, customers …) after the people exist: a step is
# ``step(created: Counter[str]) -> None``, runs in the load's transaction, must be idempotent and
# counts what it creates into ``created``. Registered from the app's ``AppConfig.ready``.
_extra_steps: list[Callable[[Counter[str]], None]] = []


def first_holder(role_code: str, business_unit_id: int | None) -> User | None:
    """The first active person (by username) granted ``role_code`` at a business unit, or None: the
    demo steps' "the BU's planner / finance" (``business_unit_id`` None: a group-wide grant)."""
    grant = (
        UserRole.objects.filter(role__code=role_code, business_unit_id=business_unit_id, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return grant.user if grant else None


def register_demo_step(step: Callable[[Counter[str]], None]) -> None:
    if step not in _extra_steps:
        _extra_steps.append(step)


def load_demo_data(
    *, scale: str = "demo", extra_users: int | None = None, force: bool = False, progress: Progress | None = None
) -> LoadResult:
    """Load the demo group (plus ``extra_users``, by default the scale's number) in one transaction.

    Returns what was created; ``skipped`` when an earlier load already covers the request (the
    quick path taken on every start). ``force`` looks every record up even then.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    started = time.perf_counter()
    wanted = SCALES[scale] if extra_users is None else extra_users
    result = LoadResult(scale=scale, extra_users=wanted, skipped=False)
    created = result.created
    with transaction.atomic():
        group = _ensure_group(created)
        roles = ensure_default_roles()
        loaded = _loaded_extra_users(group)
        if not force and loaded is not None and loaded >= wanted:
            result.skipped = True
        else:
            plan = build_plan(wanted)
            bu_ids = _ensure_business_units(created)
            team_ids = _ensure_teams(plan.teams, bu_ids, created)
            hashes = functools.cache(make_password)  # two Argon2 hashes, and only if someone is created
            for specs, total in ((plan.users, len(plan.users)), (plan.extra_users, plan.extra_count)):
                _write_users(
                    specs,
                    total=total,
                    team_ids=team_ids,
                    bu_ids=bu_ids,
                    roles=roles,
                    hashes=hashes,
                    created=created,
                    progress=progress,
                )
            for step in _extra_steps:
                step(created)
            result.created = created = +created  # drop the zero counts
            if result.created_rows or loaded is None or loaded < wanted:
                audit.record(
                    actor=None,
                    obj=group,
                    kind=AuditEntry.Kind.ACTION,
                    verb=MARKER_VERB,
                    changes={
                        "scale": [None, scale],
                        "extra_users": [None, wanted],
                        **{name: [None, count] for name, count in sorted(created.items())},
                    },
                )
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    display_name: str
    business_unit: str
    title: str


def demo_logins() -> list[DemoLogin]:
    """The demo group's people as the run command prints them (from the plan, not the database)."""
    bu_names = {bu.code: bu.name for bu in BUSINESS_UNITS}
    _teams, users = _demo_plan()
    return [
        DemoLogin(
            username=spec.username,
            password=ADMIN_PASSWORD if spec.is_admin else DEMO_PASSWORD,
            role=BUILTIN_ROLES[spec.role].name,
            display_name=spec.display_name,
            business_unit=bu_names.get(spec.role_bu or "", "集团"),
            title=spec.title,
        )
        for spec in users
    ]
