"""Duplicate matching (查重): normalised keys and fuzzy company names in Chinese and English.

``normalise_name`` turns a company name into the key two spellings of one company share:
full-width → half-width, traditional → simplified (OpenCC), lower case, brackets and their
content dropped, punctuation and spaces dropped, legal-form suffixes dropped (repeatedly, with the
region before a branch suffix), region prefixes dropped when a distinctive name follows.

The ``*_candidates`` functions answer, for the group as a whole (no visibility: callers decide what
to show), which existing records may be the same company or person, each with a score and the
reasons; ``enforce`` applies the duplicate rules (block, or warn and go on with a reason).
Fuzzy candidates come from the ``NameToken`` blocking index, then rapidfuzz scores them; the
design is in docs/subsystems/duplicates.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import opencc
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _
from rapidfuzz.distance import Levenshtein

from xietong.core.validators import normalize_credit_code, normalize_mobile

# -- name normalisation ----------------------------------------------------------------------------

# Longest first, so that 股份有限公司 goes before 有限公司; stripped repeatedly (集团 + 有限公司).
LEGAL_SUFFIXES_ZH = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "股份公司",
        "有限公司",
        "集团公司",
        "集团",
        "控股",
        "分公司",
        "总公司",
        "办事处",
        "分厂",
        "公司",
        "工作室",
        "合伙企业",
        "有限合伙",
        "普通合伙",
        "个体工商户",
        "厂",
    ],
    key=len,
    reverse=True,
)
# after a branch suffix the branch's place goes too: 华为技术有限公司上海分公司 → 华为技术
BRANCH_SUFFIXES_ZH = ("分公司", "办事处", "分厂")
LEGAL_SUFFIXES_EN = [
    ("co", "ltd"),
    ("co", "limited"),
    ("company", "limited"),
    ("pty", "ltd"),
    ("pvt", "ltd"),
    ("limited",),
    ("ltd",),
    ("inc",),
    ("incorporated",),
    ("llc",),
    ("llp",),
    ("lp",),
    ("corp",),
    ("corporation",),
    ("co",),
    ("company",),
    ("group",),
    ("holdings",),
    ("holding",),
    ("gmbh",),
    ("plc",),
    ("pte",),
    ("sa",),
    ("ag",),
    ("bv",),
    ("nv",),
    ("kk",),
]
PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]
# prefecture-level cities that commonly open a company name (provincial capitals and the larger ones)
CITIES = [
    "石家庄",
    "唐山",
    "保定",
    "廊坊",
    "太原",
    "呼和浩特",
    "包头",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "南京",
    "苏州",
    "无锡",
    "常州",
    "南通",
    "徐州",
    "扬州",
    "镇江",
    "杭州",
    "宁波",
    "温州",
    "绍兴",
    "嘉兴",
    "金华",
    "台州",
    "湖州",
    "合肥",
    "芜湖",
    "福州",
    "厦门",
    "泉州",
    "南昌",
    "济南",
    "青岛",
    "烟台",
    "潍坊",
    "淄博",
    "郑州",
    "洛阳",
    "武汉",
    "宜昌",
    "长沙",
    "广州",
    "深圳",
    "东莞",
    "佛山",
    "珠海",
    "中山",
    "惠州",
    "汕头",
    "南宁",
    "海口",
    "三亚",
    "成都",
    "绵阳",
    "贵阳",
    "昆明",
    "拉萨",
    "西安",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
]
REGIONS_EN = {
    "beijing",
    "shanghai",
    "tianjin",
    "chongqing",
    "shenzhen",
    "guangzhou",
    "hangzhou",
    "suzhou",
    "nanjing",
    "wuhan",
    "chengdu",
    "xiamen",
    "ningbo",
    "qingdao",
    "dalian",
    "xian",
    "hongkong",
}
# Two-character words so common in company names that a name made only of them (北京汽车, 上海电气)
# keeps its region prefix, and that the fuzzy index does not use as blocking tokens.
_GENERIC_TEXT = """科技 技术 电子 贸易 实业 发展 工程 信息 机械 设备 服务 管理 咨询 网络 软件 生物 医药 材料 能源
    环保 建设 建筑 投资 文化 传媒 广告 国际 物流 供应 制造 智能 食品 餐饮 商贸 汽车 配件 电气 自动 化工
    塑料 纺织 服装 农业 电力 银行 保险 证券 地产 置业 房地 开发 新能 工业 电器 仪器 仪表 医疗 器械 通信
    数据 系统 集成 精密 五金 环境 安装 装饰 设计 教育 健康 商务 营销 电商 企业 实验 研究 经营 销售 生产
    加工 进出 出口 金属 钢铁 光电 半导 导体 新材 动化 有限 公司 集团 股份 责任 中国 中心 创新 产业 控制"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
_REGION_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_BRACKETS = re.compile(r"[(\[{<《【〔][^)\]}>》】〕]*[)\]}>》】〕]")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def halfwidth(text: str) -> str:
    """Full-width letters, digits, punctuation and spaces → their half-width forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def simplified(text: str) -> str:
    """Traditional Chinese → simplified (OpenCC ``t2s``)."""
    return str(_t2s().convert(text))


def strip_brackets(text: str) -> str:
    """Brackets of any kind and their content: 华为技术(深圳)有限公司 → 华为技术有限公司."""
    return _BRACKETS.sub("", text)


def strip_punctuation(text: str) -> str:
    """Punctuation and spaces dropped (CJK text only; Latin names keep word boundaries, see ``words``)."""
    return _NOT_WORD.sub("", text)


def _is_distinctive(rest: str) -> bool:
    """Whether what follows a region prefix still names a company on its own."""
    if len(rest) < 2:
        return False
    pairs = [rest[i : i + 2] for i in range(0, len(rest) - 1, 2)]
    return not (len(rest) % 2 == 0 and all(p in GENERIC_WORDS for p in pairs))


@cache
def _places_by_opening() -> dict[str, tuple[str, ...]]:
    """Provinces and cities by their first two characters (every place has at least two), in the
    order they are tried: a name is checked against a handful of places, not all of them."""
    found: dict[str, list[str]] = {}
    for place in (*PROVINCES, *CITIES):
        found.setdefault(place[:2], []).append(place)
    return {opening: tuple(places) for opening, places in found.items()}


def _region_at_start(text: str) -> str:
    """The region (province or city, with 省/市/自治区 …) ``text`` opens with, or ''."""
    for place in _places_by_opening().get(text[:2], ()):
        if text.startswith(place):
            rest = text[len(place) :]
            for suffix in _REGION_SUFFIXES:
                if rest.startswith(suffix):
                    return place + suffix
            return place
    return ""


def strip_region_prefix(text: str) -> str:
    """Provinces then cities before the name: 浙江省杭州市娃哈哈 → 娃哈哈; only when a distinctive name
    follows (北京汽车 stays, 杭州 alone stays)."""
    for _round in range(2):  # province, then city
        region = _region_at_start(text)
        if not region or not _is_distinctive(text[len(region) :]):
            break
        text = text[len(region) :]
    return text


def _strip_region_suffix(text: str) -> str:
    for place in (*PROVINCES, *CITIES):
        for suffix in (*_REGION_SUFFIXES, ""):
            ending = place + suffix
            if text.endswith(ending) and len(text) - len(ending) >= 2:
                return text[: -len(ending)]
    return text


def strip_legal_suffixes_zh(text: str) -> str:
    """Legal-form suffixes, repeatedly, and the place before a branch suffix:
    华为技术有限公司上海分公司 → 华为技术; 阿里巴巴集团控股有限公司 → 阿里巴巴."""
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES_ZH:
            if text.endswith(suffix) and len(text) - len(suffix) >= 2:
                text = text[: -len(suffix)]
                if suffix in BRANCH_SUFFIXES_ZH:
                    text = _strip_region_suffix(text)
                changed = True
                break
    return text


def words(text: str) -> list[str]:
    """A Latin name's words, lower case, ``&`` read as "and", a leading "the" dropped."""
    found = [w for w in _NOT_WORD.split(text.replace("&", " and ").lower()) if w]
    return found[1:] if len(found) > 1 and found[0] == "the" else found


def strip_legal_suffixes_en(found: list[str]) -> list[str]:
    """Legal-form words at the end, repeatedly: acme trading co ltd → acme trading."""
    changed = True
    while changed and len(found) > 1:
        changed = False
        for suffix in LEGAL_SUFFIXES_EN:
            n = len(suffix)
            if len(found) > n and tuple(found[-n:]) == suffix:
                found = found[:-n]
                changed = True
                break
    return found


def strip_region_words(found: list[str]) -> list[str]:
    """A leading city or province in pinyin before a longer name: shanghai acme trading → acme trading."""
    if len(found) > 1 and found[0] in REGIONS_EN:
        return found[1:]
    return found


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def normalise_name(name: str) -> str:
    """The company-name key: same company, same key (``北京市华为技术有限公司`` → ``华为技术``,
    ``Acme Trading Co., Ltd.`` → ``acmetrading``)."""
    text = simplified(halfwidth(name or "")).lower().strip()
    text = strip_brackets(text)
    if is_cjk(text):
        text = strip_punctuation(text)
        text = strip_legal_suffixes_zh(text)
        return strip_region_prefix(text)
    return "".join(strip_region_words(strip_legal_suffixes_en(words(text))))


def normalise_person(name: str) -> str:
    """A person's name key: half-width, simplified, lower case, no spaces or punctuation."""
    return strip_punctuation(simplified(halfwidth(name or "")).lower())


def normalise_email(email: str) -> str:
    """The email key: half-width, trimmed, a ``mailto:`` dropped, lower case."""
    text = halfwidth(email or "").strip().lower()
    return text.removeprefix("mailto:").strip()


# -- fuzzy similarity ------------------------------------------------------------------------------


def name_tokens(key: str) -> list[str]:
    """The blocking tokens of a name key: CJK keys give their bigrams (generic words left out) and
    skip-bigrams (``华*技``, which survive a one-character typo between them); Latin keys their
    trigrams. A key too short for that is its own token."""
    if not key:
        return []
    if is_cjk(key):
        grams = [key[i : i + 2] for i in range(len(key) - 1) if key[i : i + 2] not in GENERIC_WORDS]
        grams += [f"{key[i]}*{key[i + 2]}" for i in range(len(key) - 2)]
        return list(dict.fromkeys(grams)) or [key[:12]]
    if len(key) < 3:
        return [key]
    return list(dict.fromkeys(key[i : i + 3] for i in range(len(key) - 2)))


def allowed_edits(key: str) -> int:
    """How many character edits two keys may differ by and still be one company: none for very short
    keys, one or two for longer ones (a Chinese character carries more than a Latin letter)."""
    n = len(key)
    if is_cjk(key):
        return 2 if n >= 7 else 1 if n >= 4 else 0
    return 2 if n >= 9 else 1 if n >= 5 else 0


def similarity(a: str, b: str) -> int:
    """How alike two name keys are, 0..100: 100 equal; 90 the same parts in another order
    (华为技术 / 技术华为, acmeglobal / globalacme); otherwise the normalised Levenshtein similarity
    when within ``allowed_edits``; 0 when not similar."""
    if not a or not b:
        return 0
    if a == b:
        return 100
    longer = a if len(a) >= len(b) else b
    if len(a) == len(b) and len(a) >= 4 and b in a + a:
        return 90
    edits = Levenshtein.distance(a, b, score_cutoff=allowed_edits(longer))
    if edits > allowed_edits(longer):
        return 0
    return min(99, round(100 * (1 - edits / len(longer))))


# -- candidates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    target: str  # "customer" | "lead" | "contact"
    pk: int
    name: str
    score: int  # 0..100
    reasons: tuple[str, ...]  # human texts, translated ("Same credit code", "Similar name (92)")
    keys: tuple[str, ...]  # DuplicateRule.Key values that matched


@dataclass
class _Hit:
    name: str
    scores: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    def add(self, key: str, score: int, reason: str) -> None:
        if key not in self.keys:
            self.keys.append(key)
            self.scores.append(score)
            self.reasons.append(reason)


KEY_SCORES = {"credit_code": 100, "name": 95, "mobile": 85, "email": 85}
QUERY_TOKENS = 12  # at most this many of a name's tokens are looked up on a check
FUZZY_BLOCK_LIMIT = 200  # records sharing the most tokens that are scored


def _collect(target: str, hits: dict[int, _Hit], limit: int) -> list[Candidate]:
    out = []
    for pk, hit in hits.items():
        # the best key decides; each further key adds a little evidence
        score = min(100, max(hit.scores) + 3 * (len(hit.scores) - 1))
        out.append(Candidate(target, pk, hit.name, score, tuple(hit.reasons), tuple(hit.keys)))
    out.sort(key=lambda c: (-c.score, c.pk))
    return out[:limit]


def _fuzzy(target: str, key: str, exclude: set[int]) -> list[int]:
    """Ids of records of ``target`` sharing the most blocking tokens with ``key``."""
    from .models import NameToken

    tokens = name_tokens(key)
    if not tokens:
        return []
    if len(tokens) > QUERY_TOKENS:
        # a long name: an even sample of its tokens finds the same records (a typo spoils at most a
        # few of them) while the database reads a fraction of the postings
        step = len(tokens) / QUERY_TOKENS
        tokens = [tokens[int(i * step)] for i in range(QUERY_TOKENS)]
    rows = (
        NameToken.objects.filter(target=target, token__in=tokens)
        .values("object_id")
        .annotate(shared=Count("id"))
        .order_by("-shared", "object_id")[:FUZZY_BLOCK_LIMIT]
    )
    return [r["object_id"] for r in rows if r["object_id"] not in exclude]


def _add_names(hits: dict[int, _Hit], key: str, rows: Iterable[tuple[int, str, str]]) -> None:
    for pk, name, other_key in rows:
        score = similarity(key, other_key)
        if score == 100:
            hits.setdefault(pk, _Hit(name)).add("name", KEY_SCORES["name"], _("Same name"))
        elif score:
            hits.setdefault(pk, _Hit(name)).add("fuzzy_name", score, _("Similar name (%(score)s)") % {"score": score})


def customer_candidates(
    *,
    name: str = "",
    credit_code: str = "",
    mobile: str = "",
    email: str = "",
    exclude: Iterable[int] = (),
    limit: int = 10,
) -> list[Candidate]:
    """Existing customers (merged tombstones left out) that may be the company described, best first.
    Mobiles and emails match the customers' contacts."""
    from .models import Contact, Customer

    skip = {int(pk) for pk in exclude}
    alive = Customer.objects.filter(merged_into__isnull=True).exclude(pk__in=skip)
    hits: dict[int, _Hit] = {}
    code = normalize_credit_code(credit_code or "")
    if code:
        for pk, cname in alive.filter(credit_code=code).values_list("pk", "name"):
            hits.setdefault(pk, _Hit(cname)).add("credit_code", KEY_SCORES["credit_code"], _("Same credit code"))
    key = normalise_name(name)
    if key:
        exact = list(alive.filter(name_key=key).values_list("pk", "name", "name_key")[:limit])
        fuzzy_ids = [pk for pk in _fuzzy("customer", key, skip) if pk not in {r[0] for r in exact}]
        fuzzy = alive.filter(pk__in=fuzzy_ids).values_list("pk", "name", "name_key") if fuzzy_ids else []
        _add_names(hits, key, [*exact, *fuzzy])
    contacts = Contact.objects.filter(merged_into__isnull=True, customer__merged_into__isnull=True).exclude(
        customer_id__in=skip
    )
    mobile_key = normalize_mobile(mobile or "")
    if mobile_key:
        for pk, cname in contacts.filter(mobile_key=mobile_key).values_list("customer_id", "customer__name")[:limit]:
            hits.setdefault(pk, _Hit(cname)).add("mobile", KEY_SCORES["mobile"], _("Same mobile"))
    email_key = normalise_email(email)
    if email_key:
        emails = {email_key, (email or "").strip()}
        for pk, cname in contacts.filter(email__in=emails).values_list("customer_id", "customer__name")[:limit]:
            hits.setdefault(pk, _Hit(cname)).add("email", KEY_SCORES["email"], _("Same email"))
    return _collect("customer", hits, limit)


def lead_candidates(
    *, company: str = "", mobile: str = "", email: str = "", exclude: Iterable[int] = (), limit: int = 10
) -> list[Candidate]:
    """Existing leads (merged ones left out) that may be the same company or person, best first."""
    from xietong.leads.models import Lead

    skip = {int(pk) for pk in exclude}
    alive = Lead.objects.filter(merged_into__isnull=True).exclude(pk__in=skip)
    hits: dict[int, _Hit] = {}
    key = normalise_name(company)
    if key:
        exact = list(alive.filter(company_key=key).values_list("pk", "company", "company_key")[:limit])
        fuzzy_ids = [pk for pk in _fuzzy("lead", key, skip) if pk not in {r[0] for r in exact}]
        fuzzy = alive.filter(pk__in=fuzzy_ids).values_list("pk", "company", "company_key") if fuzzy_ids else []
        _add_names(hits, key, [*exact, *fuzzy])
    mobile_key = normalize_mobile(mobile or "")
    if mobile_key:
        for pk, cname, person in alive.filter(mobile_key=mobile_key).values_list("pk", "company", "contact_name")[
            :limit
        ]:
            hits.setdefault(pk, _Hit(cname or person)).add("mobile", KEY_SCORES["mobile"], _("Same mobile"))
    email_key = normalise_email(email)
    if email_key:
        emails = {email_key, (email or "").strip()}
        for pk, cname, person in alive.filter(email__in=emails).values_list("pk", "company", "contact_name")[:limit]:
            hits.setdefault(pk, _Hit(cname or person)).add("email", KEY_SCORES["email"], _("Same email"))
    return _collect("lead", hits, limit)


def contact_candidates(
    *,
    customer_id: int | None = None,
    name: str = "",
    mobile: str = "",
    email: str = "",
    exclude: Iterable[int] = (),
    limit: int = 10,
) -> list[Candidate]:
    """Existing contacts that may be the same person: the same mobile or email anywhere in the group,
    the same name only at the same customer (a name alone is too common to match group-wide)."""
    from .models import Contact

    skip = {int(pk) for pk in exclude}
    alive = Contact.objects.filter(merged_into__isnull=True, customer__merged_into__isnull=True).exclude(pk__in=skip)
    hits: dict[int, _Hit] = {}
    person = normalise_person(name)
    if person and customer_id is not None:
        for pk, pname in alive.filter(customer_id=customer_id).values_list("pk", "name"):
            if normalise_person(pname) == person:
                hits.setdefault(pk, _Hit(pname)).add("name", KEY_SCORES["name"], _("Same name at this customer"))
    mobile_key = normalize_mobile(mobile or "")
    if mobile_key:
        for pk, pname in alive.filter(mobile_key=mobile_key).values_list("pk", "name")[:limit]:
            hits.setdefault(pk, _Hit(pname)).add("mobile", KEY_SCORES["mobile"], _("Same mobile"))
    email_key = normalise_email(email)
    if email_key:
        emails = {email_key, (email or "").strip()}
        for pk, pname in alive.filter(email__in=emails).values_list("pk", "name")[:limit]:
            hits.setdefault(pk, _Hit(pname)).add("email", KEY_SCORES["email"], _("Same email"))
    return _collect("contact", hits, limit)


# -- the fuzzy index -------------------------------------------------------------------------------


def index_names(*, target: str, names: Iterable[tuple[int, str]]) -> None:
    """(Re)build the blocking tokens of records of ``target`` ("customer" or "lead") from their
    (pk, name key) pairs. Services call it after a create or a rename (inside their transaction);
    imports call it once per batch; merges call ``unindex`` for the tombstones."""
    from .models import NameToken

    pairs = list(names)
    if not pairs:
        return
    NameToken.objects.filter(target=target, object_id__in=[pk for pk, _key in pairs]).delete()
    rows = [
        NameToken(target=target, token=token, object_id=pk) for pk, key in pairs for token in name_tokens(key or "")
    ]
    NameToken.objects.bulk_create(rows, batch_size=2000)


def unindex(*, target: str, pks: Iterable[int]) -> None:
    from .models import NameToken

    NameToken.objects.filter(target=target, object_id__in=list(pks)).delete()


# -- rules -----------------------------------------------------------------------------------------

DEFAULT_ACTIONS: dict[str, dict[str, str]] = {
    "customer": {"credit_code": "block", "name": "block", "mobile": "warn", "email": "warn", "fuzzy_name": "warn"},
    "lead": {"credit_code": "block", "name": "warn", "mobile": "warn", "email": "warn", "fuzzy_name": "warn"},
    "contact": {"credit_code": "block", "name": "warn", "mobile": "warn", "email": "warn", "fuzzy_name": "warn"},
}
# the form field each key speaks of, per target
_FIELDS = {
    "customer": {
        "credit_code": "credit_code",
        "name": "name",
        "fuzzy_name": "name",
        "mobile": "mobile",
        "email": "email",
    },
    "lead": {
        "credit_code": "credit_code",
        "name": "company",
        "fuzzy_name": "company",
        "mobile": "mobile",
        "email": "email",
    },
    "contact": {
        "credit_code": "credit_code",
        "name": "name",
        "fuzzy_name": "name",
        "mobile": "mobile",
        "email": "email",
    },
}


def rule_actions(target: str) -> dict[str, str]:
    """key → "block" | "warn" | "allow" for ``target``: the DuplicateRule rows over the defaults."""
    from .models import DuplicateRule

    actions = dict(DEFAULT_ACTIONS[target])
    actions.update(dict(DuplicateRule.objects.filter(target=target).values_list("key", "action")))
    return actions


class DuplicateFound(ValidationError):
    """The record matches existing ones and a rule stops it. Field errors name the field that matched;
    ``candidates`` are the matches; ``blocked`` is true when no reason lets it through."""

    def __init__(self, errors: dict[str, list[str]], *, candidates: list[Candidate], blocked: bool) -> None:
        super().__init__(errors)
        self.candidates = candidates
        self.blocked = blocked


def enforce(*, target: str, candidates: list[Candidate], reason: str = "") -> None:
    """Apply the duplicate rules of ``target`` to ``candidates``: raise ``DuplicateFound`` when a key
    that blocks matched, or a key that warns matched and no reason was given; else return."""
    actions = rule_actions(target)
    fields = _FIELDS[target]
    errors: dict[str, list[str]] = {}
    blocked = False
    stopping: list[Candidate] = []
    for candidate in candidates:
        for key, text in zip(candidate.keys, candidate.reasons, strict=True):
            action = actions.get(key, "warn")
            if action == "allow" or (action == "warn" and (reason or "").strip()):
                continue
            blocked = blocked or action == "block"
            if candidate not in stopping:
                stopping.append(candidate)
            if action == "block":
                message = _("%(reason)s as the existing “%(name)s”.") % {"reason": text, "name": candidate.name}
            else:
                message = _("%(reason)s as the existing “%(name)s”: give a reason to create it anyway.") % {
                    "reason": text,
                    "name": candidate.name,
                }
            errors.setdefault(fields[key], [])
            if message not in errors[fields[key]]:
                errors[fields[key]].append(message)
    if errors:
        raise DuplicateFound(errors, candidates=stopping, blocked=blocked)


def record_override(*, actor: Any, obj: Any, candidates: list[Candidate], reason: str) -> None:
    """Remember that ``actor`` created or changed ``obj`` past duplicate warnings, and why."""
    from .models import DuplicateOverride

    if not candidates:
        return
    DuplicateOverride.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        matched_ids=[c.pk for c in candidates],
        reason=(reason or "").strip()[:200],
        actor=actor,
    )
