"""The CRM data of the benchmarks: customers, their business-unit relationships, contacts, leads and
pools at a scale, seeded, with **labelled duplicate clusters** so that a duplicate scan can be scored.

``load(scale)`` writes the data set once per database (a marker row in ``bench_crm_dataset`` makes
the next run start at once), with ``COPY`` on PostgreSQL and ``executemany`` on SQLite, straight into
the app's tables: the services are what the workloads measure, not what loads their data. It keeps
the services' invariants by hand: ``name_key``/``company_key``/``mobile_key`` as the matching code
derives them, the fuzzy index (``NameToken``) filled as ``matching.index_names`` would, a
relationship owned or in a pool, one relationship per customer and BU, credit codes valid and
unique.

How the names are made (so that the labels are true):

- every *base* company gets a brand drawn from a Reed–Solomon code of length 6 and dimension 3 over
  151 symbols (Chinese characters, or three-letter English syllables): two different brands differ
  in at least 4 of their 6 symbols, so no two base companies are within the 1–2 edits the fuzzy
  check allows, and every pair the scan should find is one the generator made on purpose;
- a few bases (``CLUSTER_SHARE``) get 1–3 *variants* by the transforms of the issue: legal-suffix
  change, region prefix, brackets, full/half width, traditional characters, one or two typos, word
  order (English) and case. A base and its variants form a labelled cluster
  (``bench_crm_label``: customer id → cluster number); everything else is a singleton.

Owners are the demo group's sales reps and managers of each business unit (the bench loads the demo
group first); one customer in six sits in its BU's bench pool (公海), a fifth of the customers have a
second BU relationship; leads are spread over the same owners and each BU's bench lead pool.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

SEED = 20261129
DATA_VERSION = 3  # bump when the generator changes: a database with older data must be made anew
# Customers at each scale (leads: the same number); ``demo`` is the demo group alone, a few hundred.
SCALES: dict[str, int] = {"demo": 300, "smoke": 2_000, "100k": 100_000, "1M": 1_000_000}
CLUSTER_SHARE = 0.04  # bases that get variants (about 6 % of the customers are then duplicates)
POOL_SHARE = 1 / 6  # customers whose relationship sits in the BU's public pool
SECOND_BU_SHARE = 0.2
CHUNK = 20_000
# A fixed "now": recycle rules and follow-up dates are computed against it, so two runs compare.
REFERENCE_NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
BENCH_POOL = "基准公海"
BENCH_LEAD_POOL = "基准线索池"
POOL_MAX_OWNED = 100_000  # the bench pool's limit: high, so that claims measure the claim, not the refusal
POOL_CLAIMS_PER_DAY = 100_000
LIMITED_MAX_OWNED = 25  # the per-user limit of the limited claimers (B8 checks it is never broken)
CLAIMERS = 50

# Codeword ranges (the code has 151**3 ≈ 3.4 M brands): customers, the import file's new companies, leads.
RANGE_CUSTOMERS = 0
RANGE_IMPORT = 1_100_000
RANGE_LEADS = 2_300_000
Q = 151
N_SYMBOLS = 6

ZH_ALPHABET = (
    "鼎盛华通远博达恒泰瑞丰源隆昌兴旺荣耀鑫森淼焱垚鹏程万里铜铁锦绣辉煌明亮星月光晨曦霞彩虹翔宇航佳美雅致诚信德仁"
    "义礼智勤俭朴实坚毅睿哲思敏慧聪颖卓越超凡非凯旋胜利捷迅驰骋腾飞跃龙凤麟麒鹤鸿雁鹰骏驹豪杰英俊贤良君子正道和"
    "谐协同力量启拓创汇聚融联众友邦邻乐康健寿禄喜庆祥如意顺畅宏伟壮阔浩瀚渊厚稳固永久远松柏竹梅菊莲荷桐枫杉楠樟榕"
)
EN_SYLLABLES = tuple(
    c + v + f for c in "bdfgklmnprstvz" for v in "aeiou" for f in "nrlmsx" if not (c == "s" and v == "e" and f == "x")
)[::2][:Q]
ZH_INDUSTRIES = (
    ("精密机械", "制造业"),
    ("医疗器械", "医疗"),
    ("新能源", "能源"),
    ("电子科技", "电子"),
    ("智能装备", "制造业"),
    ("物流", "物流"),
    ("贸易", "贸易"),
    ("环保科技", "环保"),
    ("生物医药", "医药"),
    ("软件", "信息技术"),
    ("自动化设备", "制造业"),
    ("化工", "化工"),
    ("仪器仪表", "制造业"),
    ("储能技术", "能源"),
    ("建材", "建筑"),
)
EN_INDUSTRIES = (
    ("Logistics", "物流"),
    ("Robotics", "制造业"),
    ("Medical", "医疗"),
    ("Energy", "能源"),
    ("Materials", "化工"),
    ("Electronics", "电子"),
    ("Trading", "贸易"),
    ("Precision", "制造业"),
    ("Software", "信息技术"),
    ("Instruments", "制造业"),
)
ZH_SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")
ZH_SUFFIX_SWAPS = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "分公司", "公司")
EN_SUFFIXES = ("Co., Ltd.", "Co., Ltd.", "Limited", "Inc.", "LLC", "Company Limited", "Corporation")
# (province as written in a name, province field, city, area code of the credit code)
REGIONS = (
    ("上海", "上海市", "上海市", "310115"),
    ("上海市", "上海市", "上海市", "310104"),
    ("北京", "北京市", "北京市", "110108"),
    ("北京市", "北京市", "北京市", "110105"),
    ("江苏", "江苏省", "苏州市", "320505"),
    ("江苏省", "江苏省", "南京市", "320106"),
    ("浙江", "浙江省", "杭州市", "330106"),
    ("广东", "广东省", "深圳市", "440305"),
    ("广东省", "广东省", "广州市", "440106"),
    ("山东", "山东省", "青岛市", "370212"),
    ("湖北", "湖北省", "武汉市", "420106"),
    ("四川", "四川省", "成都市", "510107"),
    ("天津", "天津市", "天津市", "120116"),
    ("重庆", "重庆市", "重庆市", "500112"),
)
EN_REGIONS = ("(China)", "(Shanghai)", "(Beijing)", "(Shenzhen)", "(Asia Pacific)")
ZH_BRACKETS = ("（中国）", "(中国)", "（上海）", "(集团)", "（华东）")
STREETS = ("科技路", "创新大道", "张江路", "长江路", "人民路", "建设路", "解放路", "中山路", "发展大道", "工业园路")
EN_FIRST = ("Anna", "David", "Emily", "James", "Laura", "Michael", "Olivia", "Peter", "Sarah", "Thomas")
EN_LAST = ("Brown", "Chen", "Garcia", "Johnson", "Lee", "Miller", "Smith", "Taylor", "Wang", "Wilson")
TITLES = ("采购经理", "总经理", "技术总监", "设备科长", "财务经理", "项目经理", "采购专员", "厂长")
CAMPAIGNS = ("2026春季展会", "官网询价", "行业峰会", "老客户转介绍", "线上研讨会", "")
PRODUCTS = {
    "ind": ("数控机床", "工业机器人", "自动化产线"),
    "med": ("影像设备", "体外诊断", "手术耗材"),
    "energy": ("储能系统", "光伏逆变器", "充电桩"),
}
BU_WEIGHTS = {"ind": 45, "med": 30, "energy": 25}
LEVELS = ("A", "B", "C", "C", "C", "D")
SIZES = ("1-49", "50-199", "200-999", "1000-4999", "5000+")
SOURCES = ("web", "phone", "exhibition", "referral", "advertising", "partner", "cold")
LEAD_STATUSES = ("new", "new", "contacting", "contacting", "qualified", "invalid")


# --- names --------------------------------------------------------------------------------------


def brand_symbols(m: int) -> tuple[int, ...]:
    """The 6 symbols of codeword ``m`` (0 ≤ m < 151³): a + b·x + c·x² mod 151 at x = 0 … 5. Two
    different codewords agree in at most 2 positions (a polynomial of degree ≤ 2 has ≤ 2 roots)."""
    if not 0 <= m < Q**3:
        raise ValueError(f"codeword {m} is beyond the code's {Q**3:,} brands")
    m = (m * 1_000_003 + 777_777) % Q**3  # a bijection that spreads neighbouring numbers over the code
    a, rest = m % Q, m // Q
    b, c = rest % Q, rest // Q
    return tuple((a + b * x + c * x * x) % Q for x in range(N_SYMBOLS))


def zh_brand(m: int) -> str:
    return "".join(ZH_ALPHABET[s] for s in brand_symbols(m))


def en_brand_words(m: int) -> tuple[str, str]:
    s = [EN_SYLLABLES[x] for x in brand_symbols(m)]
    return ("".join(s[:3]).capitalize(), "".join(s[3:]).capitalize())


@dataclass(frozen=True)
class CompanyName:
    """The parts of one company's name, so that variants can change one part at a time."""

    lang: str  # "zh" | "en"
    brand: str  # zh: 6 characters; en: "Word1 Word2"
    industry: str
    suffix: str
    region: str = ""  # zh: the province prefix as written (上海 / 上海市); en: unused
    bracket: str = ""
    upper: bool = False
    fullwidth: bool = False
    traditional: bool = False
    industry_first: bool = False  # en: word order

    def text(self) -> str:
        if self.lang == "zh":
            name = f"{self.region}{self.brand}{self.bracket}{self.industry}{self.suffix}"
            if self.traditional:
                name = _s2t(name)
        else:
            words = (
                [self.industry, self.brand] if self.industry_first and self.industry else [self.brand, self.industry]
            )
            name = " ".join(w for w in [*words, self.bracket, self.suffix] if w)
            if self.upper:
                name = name.upper()
        if self.fullwidth:
            name = "".join(
                chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch) for ch in name
            )
        return name


_S2T: Any = None


def _s2t(text: str) -> str:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return str(_S2T.convert(text))


def base_name(m: int, rng: random.Random) -> tuple[CompanyName, tuple[str, str, str, str]]:
    """A base company for codeword ``m``: half Chinese (even ``m``), half English; and its region."""
    region = rng.choice(REGIONS)
    if m % 2 == 0:
        industry, _sector = rng.choice(ZH_INDUSTRIES)
        prefix = region[0] if rng.random() < 0.4 else ""
        return CompanyName("zh", zh_brand(m), industry, rng.choice(ZH_SUFFIXES), region=prefix), region
    industry = rng.choice(EN_INDUSTRIES)[0] if rng.random() < 0.5 else ""
    return CompanyName("en", " ".join(en_brand_words(m)), industry, rng.choice(EN_SUFFIXES)), region


def sector_of(name: CompanyName) -> str:
    table = dict(ZH_INDUSTRIES) if name.lang == "zh" else dict(EN_INDUSTRIES)
    return table.get(name.industry, "贸易")


def _typo(name: CompanyName, rng: random.Random, edits: int) -> CompanyName:
    if name.lang == "zh":
        chars = list(name.brand)
        for pos in rng.sample(range(len(chars)), edits):
            chars[pos] = rng.choice([ch for ch in ZH_ALPHABET if ch != chars[pos]][:40])
        return _replace(name, brand="".join(chars))
    letters = list(name.brand)
    spots = [i for i, ch in enumerate(letters) if ch.isalpha() and i > 0]
    for pos in rng.sample(spots, edits):
        letters[pos] = rng.choice([ch for ch in "aeioulnrst" if ch != letters[pos].lower()])
    return _replace(name, brand="".join(letters))


def _replace(name: CompanyName, **changes: Any) -> CompanyName:
    from dataclasses import replace

    return replace(name, **changes)


# One transform: (label, applies to, function). Labels are kept with the cluster for the report.
Transform = tuple[str, Callable[[CompanyName, random.Random], CompanyName | None]]


def _t_suffix(n: CompanyName, rng: random.Random) -> CompanyName:
    pool = ZH_SUFFIX_SWAPS if n.lang == "zh" else EN_SUFFIXES
    return _replace(n, suffix=rng.choice([s for s in pool if s != n.suffix]))


def _t_region(n: CompanyName, rng: random.Random) -> CompanyName | None:
    if n.lang != "zh":
        return None
    if n.region:
        return _replace(n, region="" if rng.random() < 0.5 else _other_region_form(n.region))
    return _replace(n, region=rng.choice(REGIONS)[0])


def _other_region_form(region: str) -> str:
    if region.endswith(("市", "省")):
        return region[:-1]
    return next((r[0] for r in REGIONS if r[0].startswith(region) and r[0] != region), region)


def _t_brackets(n: CompanyName, rng: random.Random) -> CompanyName:
    return _replace(n, bracket=rng.choice(ZH_BRACKETS if n.lang == "zh" else EN_REGIONS))


def _t_width(n: CompanyName, rng: random.Random) -> CompanyName:
    if n.lang == "zh" and not n.bracket:
        n = _replace(n, bracket="(中国)")
    return _replace(n, fullwidth=True)


def _t_traditional(n: CompanyName, rng: random.Random) -> CompanyName | None:
    return _replace(n, traditional=True) if n.lang == "zh" else None


def _t_typo1(n: CompanyName, rng: random.Random) -> CompanyName:
    return _typo(n, rng, 1)


def _t_typo2(n: CompanyName, rng: random.Random) -> CompanyName:
    return _typo(n, rng, 2)


def _t_order(n: CompanyName, rng: random.Random) -> CompanyName | None:
    if n.lang != "en":
        return None
    if n.industry:
        return _replace(n, industry_first=not n.industry_first)
    first, second = n.brand.split(" ")
    return _replace(n, brand=f"{second} {first}")


def _t_case(n: CompanyName, rng: random.Random) -> CompanyName | None:
    return _replace(n, upper=True) if n.lang == "en" else None


TRANSFORMS: tuple[Transform, ...] = (
    ("legal suffix", _t_suffix),
    ("region prefix", _t_region),
    ("brackets", _t_brackets),
    ("full width", _t_width),
    ("traditional", _t_traditional),
    ("one typo", _t_typo1),
    ("two typos", _t_typo2),
    ("word order", _t_order),
    ("case", _t_case),
)


def variant(name: CompanyName, rng: random.Random) -> tuple[CompanyName, tuple[str, ...]]:
    """One or two transforms of ``name`` (never two typos on top of each other)."""
    applied: list[str] = []
    out = name
    for _ in range(1 if rng.random() < 0.6 else 2):
        for _attempt in range(10):
            label, transform = rng.choice(TRANSFORMS)
            if label in applied or ("typo" in label and any("typo" in a for a in applied)):
                continue
            changed = transform(out, rng)
            if changed is not None and changed.text() != out.text():
                out = changed
                applied.append(label)
                break
    return out, tuple(applied)


# --- the plan -----------------------------------------------------------------------------------


def credit_code(serial: int, area: str) -> str:
    """A valid, unique 18-character credit code for ``serial`` (91 + area + 9 characters + check)."""
    from xietong.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char

    body, n = [], serial
    for _ in range(9):
        n, r = divmod(n, len(CREDIT_CODE_ALPHABET))
        body.append(CREDIT_CODE_ALPHABET[r])
    first17 = "91" + area + "".join(reversed(body))
    return first17 + credit_code_check_char(first17)


def mobile(serial: int) -> str:
    """A unique mainland mobile number per serial (< 10⁸ per prefix)."""
    prefixes = ("138", "139", "186", "135", "137", "158", "187", "150", "189", "177")
    p, n = divmod(serial, 10**8)
    return prefixes[p % len(prefixes)] + f"{(n * 7919 + 12345) % 10**8:08d}"


@dataclass(frozen=True)
class CustomerSpec:
    index: int  # 0-based position in the data set
    name: str
    lang: str
    cluster: int | None  # the label: customers of one cluster are one company
    transforms: tuple[str, ...]
    credit_code: str
    industry: str
    size: str
    source: str
    province: str
    city: str
    address: str
    website: str
    contact_name: str
    contact_title: str
    contact_mobile: str
    contact_email: str
    relationships: tuple[tuple[str, int | None, str, int], ...]  # (bu, owner slot | None = pool, level, days)
    company: CompanyName  # the parts of the name (to make more variants of it)


def _person(rng: random.Random, lang: str) -> str:
    from xietong.org.demo import GIVEN_NAMES, SURNAMES

    if lang == "en" and rng.random() < 0.5:
        return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
    return rng.choice(SURNAMES)[0] + rng.choice(GIVEN_NAMES)[0]


def _bu(rng: random.Random) -> str:
    return rng.choices(list(BU_WEIGHTS), list(BU_WEIGHTS.values()))[0]


def customer_specs(
    count: int, *, codeword_start: int = RANGE_CUSTOMERS, stream: str = "customers"
) -> Iterator[CustomerSpec]:
    """``count`` customers: bases and, for ``CLUSTER_SHARE`` of them, 1–3 variants right after."""
    rng = random.Random(f"{SEED}/{stream}")
    index, m, cluster_no = 0, codeword_start, 0
    while index < count:
        name, region = base_name(m, rng)
        names: list[tuple[CompanyName, tuple[str, ...]]] = [(name, ())]
        if rng.random() < CLUSTER_SHARE:
            names += [variant(name, rng) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        cluster = None
        if len(names) > 1:
            cluster_no += 1
            cluster = cluster_no
        for position, (company, transforms) in enumerate(names[: count - index]):
            lang = company.lang
            bus = [_bu(rng)]
            if rng.random() < SECOND_BU_SHARE:
                bus += [b for b in BU_WEIGHTS if b != bus[0]][: 1 if rng.random() < 0.8 else 2]
            rels = tuple(
                (
                    bu,
                    None if rng.random() < POOL_SHARE else rng.randrange(1000),
                    rng.choice(LEVELS),
                    rng.randrange(0, 400),
                )
                for bu in bus
            )
            text = company.text()
            yield CustomerSpec(
                index=index,
                name=text,
                lang=lang,
                cluster=cluster,
                transforms=transforms,
                # the variants of a cluster have no credit code: the unique code would be an exact match
                credit_code=credit_code(codeword_start + index, region[3])
                if position == 0 and rng.random() < 0.6
                else "",
                industry=sector_of(company),
                size=rng.choice(SIZES),
                source=rng.choice(SOURCES),
                province=region[1],
                city=region[2],
                address=f"{region[2]}{rng.choice(STREETS)}{rng.randrange(1, 2000)}号",
                website=f"https://www.c{codeword_start + index:x}.example.cn" if rng.random() < 0.3 else "",
                contact_name=_person(rng, lang),
                contact_title=rng.choice(TITLES),
                contact_mobile=mobile(codeword_start + index),
                contact_email=f"contact{codeword_start + index}@c{codeword_start + index:x}.example.cn",
                relationships=rels,
                company=company,
            )
            index += 1
        m += 1


def created_at(index: int, count: int) -> datetime:
    """Creation times spread over the three years before ``REFERENCE_NOW``, increasing with the index."""
    span = timedelta(days=3 * 365).total_seconds()
    return REFERENCE_NOW - timedelta(seconds=span * (1 - index / max(count, 1))) + timedelta(microseconds=index % 997)


# --- writing ------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """What a load wrote (or found): the id ranges of the bench's own rows, for the workloads."""

    scale: str
    customers: int
    leads: int
    first_customer_id: int
    last_customer_id: int
    first_lead_id: int
    last_lead_id: int
    seconds: float = 0.0
    skipped: bool = False
    created: dict[str, int] = field(default_factory=dict)


MARKER_TABLE = "bench_crm_dataset"
LABEL_TABLE = "bench_crm_label"


def _ensure_tables(cursor: Any) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (scale varchar(10) PRIMARY KEY, info text NOT NULL)")
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {LABEL_TABLE} (customer_id bigint PRIMARY KEY, cluster integer NOT NULL, "
        "transforms varchar(100) NOT NULL)"
    )


def loaded(scale: str) -> Dataset | None:
    from django.db import connection

    with connection.cursor() as cursor:
        _ensure_tables(cursor)
        cursor.execute(f"SELECT info FROM {MARKER_TABLE} WHERE scale = %s", [scale])
        row = cursor.fetchone()
    if row is None:
        return None
    info = json.loads(row[0])
    if info.pop("version", None) != DATA_VERSION:
        raise RuntimeError(
            f"the CRM data of scale {scale} in this database was made by an older generator: "
            "delete the database (var/bench-<scale>.sqlite3, or drop the PostgreSQL database) and run again"
        )
    return Dataset(**info, skipped=True)


class _Writer:
    """Rows into one table: ``COPY`` on PostgreSQL, ``executemany`` on SQLite; every model column
    the caller does not give gets the field's default (so a field added later needs no change here)."""

    def __init__(self, model: Any, values: Sequence[str]) -> None:
        from django.db import connection

        self.connection = connection
        self.table = model._meta.db_table
        given = set(values)
        # an auto primary key the caller leaves out is the database's to number
        fields = [f for f in model._meta.concrete_fields if f.attname in given or not f.primary_key]
        self.columns = [f.column for f in fields]
        defaults = {f.attname: f.get_default() for f in fields if f.attname not in given}
        missing = [name for name, value in defaults.items() if value is None and not model._meta.get_field(name).null]
        missing = [f.attname for f in fields if f.attname in missing]
        if missing:
            raise ValueError(f"{self.table}: no value or default for {missing}")
        self.order = [(f.attname in given, f.attname, defaults.get(f.attname)) for f in fields]
        self.adapters = [self._adapter(f) for f in fields]
        self.count = 0

    def _adapter(self, f: Any) -> Callable[[Any], Any] | None:
        from django.db import models

        if self.connection.vendor == "postgresql":
            return json.dumps if isinstance(f, models.JSONField) else None
        ops = self.connection.ops
        if isinstance(f, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value
        if isinstance(f, models.DecimalField):
            return str
        if isinstance(f, models.JSONField):
            return json.dumps
        return None

    def values(self, row: dict[str, Any]) -> list[Any]:
        """The row's values in column order, defaults filled in (not adapted)."""
        return [row[attname] if given else default for given, attname, default in self.order]

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        tuples = []
        for row in rows:
            values = []
            for (given, attname, default), adapt in zip(self.order, self.adapters, strict=True):
                value = row[attname] if given else default
                if adapt is not None and value is not None:
                    value = adapt(value)
                values.append(value)
            tuples.append(values)
        if not tuples:
            return
        cols = ", ".join(self.connection.ops.quote_name(c) for c in self.columns)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                    for t in tuples:
                        copy.write_row(t)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {self.table} ({cols}) VALUES ({marks})", tuples)
        self.count += len(tuples)


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequences(models: Iterable[Any]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )


def owners_by_bu() -> dict[str, list[int]]:
    """The demo group's sales reps and sales managers of each BU, by username (the owners)."""
    from xietong.org import demo
    from xietong.org.models import User

    _teams, specs = demo._demo_plan()
    wanted = {s.username: s.role_bu for s in specs if s.role in ("sales_rep", "sales_manager") and s.role_bu}
    ids = dict(User.objects.filter(username__in=list(wanted)).values_list("username", "pk"))
    out: dict[str, list[int]] = {code: [] for code in BU_WEIGHTS}
    for username in sorted(wanted):
        if username in ids:
            out[str(wanted[username])].append(ids[username])
    if not all(out.values()):
        raise LookupError("the demo group's sales reps are missing: load the demo group first")
    return out


def claimers(bu_code: str = "ind", count: int = CLAIMERS) -> list[int]:
    """The users who claim from the BU's bench pool in B8: its demo reps, then reps added at scale."""
    from xietong.org.models import UserRole

    demo_reps = owners_by_bu()[bu_code]
    extra = list(
        UserRole.objects.filter(role__code="sales_rep", business_unit__code=bu_code, user__is_active=True)
        .exclude(user_id__in=demo_reps)
        .order_by("user_id")
        .values_list("user_id", flat=True)[: max(0, count - len(demo_reps))]
    )
    return (demo_reps + extra)[:count]


def _pools(bu_ids: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """The bench pool (公海) and the bench lead pool of each BU, created once, with the claimers as
    members and a low ownership limit for every fifth of them (B8 checks it holds)."""
    from xietong.customers.models import CustomerPool, OwnershipLimit, PoolMember, RecycleRule
    from xietong.leads.models import LeadPool

    pools, lead_pools = {}, {}
    for code, bu_id in bu_ids.items():
        pool, made = CustomerPool.objects.get_or_create(
            business_unit_id=bu_id,
            name=BENCH_POOL,
            defaults={
                "max_owned": POOL_MAX_OWNED,
                "claims_per_day": POOL_CLAIMS_PER_DAY,
                "reclaim_block_days": 30,
                "protection_days": 30,
            },
        )
        if made:
            RecycleRule.objects.create(pool=pool, kind="no_follow_up", days=180, remind_days_before=7)
            RecycleRule.objects.create(pool=pool, kind="no_follow_up", level="D", days=60, remind_days_before=7)
            users = claimers(code)
            PoolMember.objects.bulk_create([PoolMember(pool=pool, user_id=u) for u in users], ignore_conflicts=True)
            OwnershipLimit.objects.bulk_create(
                [OwnershipLimit(pool=pool, user_id=u, max_owned=LIMITED_MAX_OWNED) for u in users[::5]]
            )
        pools[code] = pool.pk
        lead_pool, _made = LeadPool.objects.get_or_create(business_unit_id=bu_id, name=BENCH_LEAD_POOL)
        lead_pools[code] = lead_pool.pk
    return pools, lead_pools


def _tokens() -> tuple[Any, Callable[[str], list[str]]] | None:
    """The fuzzy-name index model and its tokeniser, when the matching code has them."""
    from xietong.customers import matching, models

    model = getattr(models, "NameToken", None)
    tokens = getattr(matching, "name_tokens", None)
    return (model, tokens) if model is not None and tokens is not None else None


def load(scale: str, *, progress: Callable[[str], None] | None = None) -> Dataset:
    """Load the CRM data set of ``scale`` into the current database, once (idempotent per scale)."""
    from django.db import connection, transaction

    from xietong.customers import matching
    from xietong.customers.models import Contact, Customer, Relationship
    from xietong.leads.models import Lead
    from xietong.org.models import BusinessUnit

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    found = loaded(scale)
    if found is not None:
        return found
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT scale FROM {MARKER_TABLE}")
        other = [r[0] for r in cursor.fetchall()]
    if other:
        raise RuntimeError(
            f"this database holds the CRM data of scale {other[0]}; use another database for {scale} "
            "(each scale has its own by default)"
        )
    started = time.perf_counter()
    count = SCALES[scale]
    say = progress or (lambda _msg: None)
    tokens = _tokens()
    with transaction.atomic():
        bu_ids = dict(BusinessUnit.objects.filter(code__in=list(BU_WEIGHTS)).values_list("code", "pk"))
        owners = owners_by_bu()
        pools, lead_pools = _pools(bu_ids)
        now = REFERENCE_NOW
        first_customer = _next_id(Customer)
        rel_id, contact_id = _next_id(Relationship), _next_id(Contact)
        customers = _Writer(
            Customer,
            [
                *("id", "kind", "name", "name_key", "credit_code", "industry", "size", "source", "province"),
                *("city", "address", "website", "created_at", "updated_at"),
            ],
        )
        relationships = _Writer(
            Relationship,
            [
                *("id", "customer_id", "business_unit_id", "owner_id", "pool_id", "status", "level", "claimed_at"),
                *("last_follow_up_at", "protected_until", "created_at", "updated_at"),
            ],
        )
        contacts = _Writer(
            Contact,
            [
                "id",
                "customer_id",
                "name",
                "title",
                "is_primary",
                "mobile",
                "mobile_key",
                "email",
                "created_at",
                "updated_at",
            ],
        )
        token_writer = _Writer(tokens[0], ["target", "token", "object_id"]) if tokens else None
        labels: list[tuple[int, int, str]] = []
        for chunk in itertools.batched(customer_specs(count), CHUNK):
            c_rows, r_rows, k_rows, t_rows = [], [], [], []
            for spec in chunk:
                pk = first_customer + spec.index
                at = created_at(spec.index, count)
                key = matching.normalise_name(spec.name)
                c_rows.append(
                    {
                        "id": pk,
                        "kind": "company",
                        "name": spec.name,
                        "name_key": key,
                        "credit_code": spec.credit_code,
                        "industry": spec.industry,
                        "size": spec.size,
                        "source": spec.source,
                        "province": spec.province,
                        "city": spec.city,
                        "address": spec.address,
                        "website": spec.website,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                if tokens:
                    t_rows += [{"target": "customer", "token": t, "object_id": pk} for t in tokens[1](key)]
                for bu, slot, level, days in spec.relationships:
                    owner = None if slot is None else owners[bu][slot % len(owners[bu])]
                    follow = now - timedelta(days=days, hours=(slot or 0) % 24)
                    r_rows.append(
                        {
                            "id": rel_id,
                            "customer_id": pk,
                            "business_unit_id": bu_ids[bu],
                            "owner_id": owner,
                            "pool_id": pools[bu],
                            "status": "active" if level in "AB" else "prospect",
                            "level": level,
                            "claimed_at": at if owner else None,
                            "last_follow_up_at": follow if days < 380 else None,
                            "protected_until": None,
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
                    rel_id += 1
                k_rows.append(
                    {
                        "id": contact_id,
                        "customer_id": pk,
                        "name": spec.contact_name,
                        "title": spec.contact_title,
                        "is_primary": True,
                        "mobile": spec.contact_mobile,
                        "mobile_key": spec.contact_mobile,
                        "email": spec.contact_email,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                contact_id += 1
                if spec.cluster is not None:
                    labels.append((pk, spec.cluster, ",".join(spec.transforms)))
            customers.write(c_rows)
            relationships.write(r_rows)
            contacts.write(k_rows)
            if token_writer is not None:
                token_writer.write(t_rows)
            say(f"customers {customers.count:,}/{count:,}")
        with connection.cursor() as cursor:
            for batch in itertools.batched(labels, 5000):
                cursor.executemany(
                    f"INSERT INTO {LABEL_TABLE} (customer_id, cluster, transforms) VALUES (%s, %s, %s)",
                    list(batch),
                )
        first_lead, lead_count = _load_leads(count, owners, bu_ids, lead_pools, first_customer, tokens, say)
        _reset_sequences([Customer, Relationship, Contact, Lead, *([tokens[0]] if tokens else [])])
        result = Dataset(
            scale=scale,
            customers=count,
            leads=lead_count,
            first_customer_id=first_customer,
            last_customer_id=first_customer + count - 1,
            first_lead_id=first_lead,
            last_lead_id=first_lead + lead_count - 1,
            created={
                "customers": customers.count,
                "relationships": relationships.count,
                "contacts": contacts.count,
                "leads": lead_count,
                "name tokens": token_writer.count if token_writer else 0,
                "labelled duplicates": len(labels),
            },
        )
        result.seconds = time.perf_counter() - started
        info = {k: v for k, v in result.__dict__.items() if k != "skipped"} | {"version": DATA_VERSION}
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {MARKER_TABLE} (scale, info) VALUES (%s, %s)", [scale, json.dumps(info)])
    return result


def _load_leads(
    count: int,
    owners: dict[str, list[int]],
    bu_ids: dict[str, int],
    lead_pools: dict[str, int],
    first_customer: int,
    tokens: tuple[Any, Callable[[str], list[str]]] | None,
    say: Callable[[str], None],
) -> tuple[int, int]:
    """As many leads as customers: half from new companies, half from the customers' companies."""
    from xietong.customers import matching
    from xietong.leads.models import Lead

    rng = random.Random(f"{SEED}/leads")
    first = _next_id(Lead)
    writer = _Writer(
        Lead,
        [
            *("id", "company", "company_key", "contact_name", "contact_title", "mobile", "mobile_key", "email"),
            *("industry", "company_size", "source", "campaign", "product_interest", "budget", "business_unit_id"),
            *("status", "invalid_reason", "owner_id", "pool_id", "province", "city", "assigned_at"),
            *("last_follow_up_at", "created_at", "updated_at"),
        ],
    )
    token_writer = _Writer(tokens[0], ["target", "token", "object_id"]) if tokens else None
    for start in range(0, count, CHUNK):
        rows, t_rows = [], []
        for index in range(start, min(count, start + CHUNK)):
            name, region = base_name(RANGE_LEADS + index, rng)
            company = name.text()
            bu = _bu(rng)
            owned = rng.random() < 0.7
            status = rng.choice(LEAD_STATUSES)
            at = created_at(index, count)
            key = matching.normalise_name(company)
            pk = first + index
            rows.append(
                {
                    "id": pk,
                    "company": company,
                    "company_key": key,
                    "contact_name": _person(rng, name.lang),
                    "contact_title": rng.choice(TITLES),
                    "mobile": mobile(RANGE_LEADS + index),
                    "mobile_key": mobile(RANGE_LEADS + index),
                    "email": f"lead{index}@l{RANGE_LEADS + index:x}.example.cn",
                    "industry": sector_of(name),
                    "company_size": rng.choice(SIZES),
                    "source": rng.choice(SOURCES),
                    "campaign": rng.choice(CAMPAIGNS),
                    "product_interest": rng.choice(PRODUCTS[bu]),
                    "budget": Decimal(rng.randrange(5, 500) * 10_000),
                    "business_unit_id": bu_ids[bu],
                    "status": status,
                    "invalid_reason": "联系方式无效" if status == "invalid" else "",
                    "owner_id": rng.choice(owners[bu]) if owned else None,
                    "pool_id": None if owned else lead_pools[bu],
                    "province": region[1],
                    "city": region[2],
                    "assigned_at": at if owned else None,
                    "last_follow_up_at": at + timedelta(days=rng.randrange(1, 30)) if status != "new" else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            if tokens:
                t_rows += [{"target": "lead", "token": t, "object_id": pk} for t in tokens[1](key)]
        writer.write(rows)
        if token_writer is not None:
            token_writer.write(t_rows)
        say(f"leads {writer.count:,}/{count:,}")
    return first, writer.count


def labels(dataset: Dataset) -> dict[int, int]:
    """customer id → cluster, for the labelled duplicates of the data set."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, cluster FROM {LABEL_TABLE} WHERE customer_id BETWEEN %s AND %s",
            [dataset.first_customer_id, dataset.last_customer_id],
        )
        return dict(cursor.fetchall())


def pairs_of(clusters: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
    """Every unordered pair (low id, high id) within each cluster."""
    out: set[tuple[int, int]] = set()
    for members in clusters:
        ids = sorted(set(members))
        out.update(itertools.combinations(ids, 2))
    return out


def score(found: Iterable[Iterable[int]], truth: dict[int, int], within: range) -> tuple[float, float, int, int]:
    """(recall, precision, true pairs, found pairs) of ``found`` clusters against the labels, over the
    customers in ``within`` (records outside the data set, e.g. the demo's, are left out)."""
    true_clusters: dict[int, list[int]] = {}
    for pk, cluster in truth.items():
        true_clusters.setdefault(cluster, []).append(pk)
    true_pairs = pairs_of(true_clusters.values())
    found_pairs = pairs_of([pk for pk in members if pk in within] for members in found)
    hit = len(true_pairs & found_pairs)
    recall = hit / len(true_pairs) if true_pairs else 1.0
    precision = hit / len(found_pairs) if found_pairs else 1.0
    return recall, precision, len(true_pairs), len(found_pairs)


# --- the import file of B1 ----------------------------------------------------------------------

IMPORT_HEADERS = (
    "客户名称",
    "统一社会信用代码",
    "行业",
    "公司规模",
    "省份",
    "城市",
    "地址",
    "网址",
    "客户级别",
    "备注",
)
DUPLICATE_SHARE = 0.05
BAD_SHARE = 0.01


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def read_cleaned(path: Path, limit: int | None = None) -> tuple[list[str], list[list[str | None]]]:
    """The columns and rows of a cleaned file (COPY text format: ``\\N`` is NULL)."""
    with path.open(encoding="utf-8") as f:
        columns = f.readline().rstrip("\n").split("\t")
        rows = []
        for line in itertools.islice(f, limit):
            fields = line.rstrip("\n").split("\t")
            rows.append([None if v == "\\N" else v for v in fields])
    return columns, rows


@dataclass
class ImportFile:
    path: Path
    rows: int
    good: int  # rows that create a customer
    duplicates: int  # rows matching an existing customer (skipped)
    duplicate_lines: list[int]
    bad: list[tuple[int, str]]  # (line, column) of the rows with an error
    cleaned: Path  # the good rows, as the customer table's columns, for PostgreSQL's COPY


def import_rows(count: int, dataset: Dataset) -> Iterator[tuple[list[str], str]]:
    """The rows of the import file and what each is: "good", "duplicate" or the bad column's header.

    5 % repeat the name of a customer of the data set exactly (a duplicate whatever the mode), 1 % carry
    an error (a wrong credit code check character, an empty name, a company size or a level that is not
    one of the choices), the rest are new companies from their own codeword range."""
    rng = random.Random(f"{SEED}/import/{count}")
    existing = customer_specs(dataset.customers)
    step = max(1, int(dataset.customers / max(1, count * DUPLICATE_SHARE)))
    for index in range(count):
        roll = rng.random()
        name, region = base_name(RANGE_IMPORT + index, rng)
        code = credit_code(RANGE_IMPORT + index, region[3]) if rng.random() < 0.6 else ""
        row = [
            name.text(),
            code,
            sector_of(name),
            rng.choice(SIZES),
            region[1],
            region[2],
            f"{region[2]}{rng.choice(STREETS)}{rng.randrange(1, 2000)}号",
            f"https://www.i{RANGE_IMPORT + index:x}.example.cn" if rng.random() < 0.3 else "",
            rng.choice(LEVELS),
            f"联系人：{_person(rng, name.lang)}，手机 {mobile(RANGE_IMPORT + index)}",
        ]
        kind = "good"
        if roll < DUPLICATE_SHARE:
            spec = next(itertools.islice(existing, step - 1, None), None)
            if spec is not None and spec.cluster is None:
                row[0], row[1] = spec.name, ""
                kind = "duplicate"
        elif roll < DUPLICATE_SHARE + BAD_SHARE:
            which = rng.randrange(4)
            if which == 0 and code:
                row[1] = code[:-1] + ("0" if code[-1] != "0" else "1")
                kind = "统一社会信用代码"
            elif which == 1:
                row[3] = "很多人"
                kind = "公司规模"
            elif which == 2:
                row[0] = ""
                kind = "客户名称"
            else:
                row[8] = "Z"
                kind = "客户级别"
        yield row, kind


def write_import_file(directory: Path, count: int, dataset: Dataset) -> ImportFile:
    """The CSV of B1 (UTF-8 with BOM, as spreadsheets save it) and its cleaned twin, written once."""
    from xietong.customers import matching

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench-import-{dataset.scale}-{count}.csv"
    cleaned = directory / f"bench-import-{dataset.scale}-{count}.cleaned.csv"
    meta = directory / f"bench-import-{dataset.scale}-{count}.json"
    if path.exists() and cleaned.exists() and meta.exists():
        info = json.loads(meta.read_text())
        return ImportFile(
            path,
            info["rows"],
            info["good"],
            info["duplicates"],
            info["duplicate_lines"],
            [tuple(b) for b in info["bad"]],
            cleaned,
        )
    from xietong.customers.models import Customer

    good = 0
    duplicate_lines: list[int] = []
    bad: list[tuple[int, str]] = []
    table = _Writer(Customer, CLEANED_COLUMNS)
    with (
        path.open("w", newline="", encoding="utf-8-sig") as out,
        cleaned.open("w", encoding="utf-8") as clean,
    ):
        writer = csv.writer(out)
        writer.writerow(IMPORT_HEADERS)
        clean.write("\t".join(table.columns) + "\n")
        for line, (row, kind) in enumerate(import_rows(count, dataset), start=2):
            writer.writerow(row)
            if kind == "good":
                good += 1
                values = {
                    "kind": "company",
                    "name": row[0],
                    "name_key": matching.normalise_name(row[0]),
                    "credit_code": row[1],
                    "industry": row[2],
                    "size": row[3],
                    "province": row[4],
                    "city": row[5],
                    "address": row[6],
                    "website": row[7],
                    "notes": row[9],
                    "source": "import",
                    "created_at": REFERENCE_NOW,
                    "updated_at": REFERENCE_NOW,
                }
                clean.write("\t".join(_copy_text(v) for v in table.values(values)) + "\n")
            elif kind == "duplicate":
                duplicate_lines.append(line)
            else:
                bad.append((line, kind))
    duplicates = len(duplicate_lines)
    meta.write_text(
        json.dumps(
            {"rows": count, "good": good, "duplicates": duplicates, "duplicate_lines": duplicate_lines, "bad": bad}
        )
    )
    return ImportFile(path, count, good, duplicates, duplicate_lines, bad, cleaned)


CLEANED_COLUMNS = (
    "kind",
    "name",
    "name_key",
    "credit_code",
    "industry",
    "size",
    "province",
    "city",
    "address",
    "website",
    "notes",
    "source",
    "created_at",
    "updated_at",
)


def as_xlsx(csv_path: Path, count: int) -> Path:
    """The first ``count`` rows of the import CSV as an XLSX file (written once, with openpyxl)."""
    from openpyxl import Workbook

    xlsx = csv_path.with_name(csv_path.stem + f".{count}.xlsx")
    if xlsx.exists():
        return xlsx
    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        for row in itertools.islice(csv.reader(f), count + 1):
            sheet.append(row)
    book.save(xlsx)
    return xlsx
