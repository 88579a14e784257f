"""What each import target accepts: its fields, the headers that map to them, and how a cell is
read and checked.

A cell's text goes through its field's ``clean``: the value to store, or a ``ValidationError``
whose message becomes the row's (line, column, reason). Blank cells are never cleaned: a blank
cell leaves the field as it is (a new record gets the default, an updated one keeps its value).

Headers match fields by their normalised text (full-width → half-width, lower case, no spaces,
punctuation, required marks or bracketed notes), against each field's Chinese and English aliases
and its label in both languages.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from xietong.catalog.choices import ProductStatus
from xietong.core.validators import (
    is_valid_credit_code,
    is_valid_mobile,
    normalize_credit_code,
    normalize_mobile,
    normalize_phone,
    validate_phone,
)
from xietong.customers.choices import CompanySize, CustomerKind, DecisionRole, Level, RelationshipStatus, Source

from .models import ImportTarget

# a field that is not a column of the record itself
OWNER = "owner"  # resolved among the people the importer may address, in the import's BU
CUSTOMER = "customer"  # contacts: the customer, by name or credit code
CUSTOMER_CREDIT_CODE = "customer_credit_code"
CATEGORY = "category"  # products: the category, by name
STAGE = "stage"  # opportunities: the stage, by name, in the business unit's default process
PRODUCT = "product"  # opportunities: a product line's product, by code, else exact name; prices: by code
CONTACT = "contact"  # opportunities: a contact of the customer, by name or mobile
CONTACT_ROLE = "contact_role"  # opportunities: that contact's role in the decision

# opportunities: the cells of one product line, and of one contact with its role (a row has at most one of each)
LINE_FIELDS = (PRODUCT, "quantity", "unit_price", "discount", "delivery_month")
CONTACT_FIELDS = (CONTACT, CONTACT_ROLE)

PRODUCTS = ImportTarget.PRODUCTS
OPPORTUNITIES = ImportTarget.OPPORTUNITIES
PRICE_BOOK_ENTRIES = ImportTarget.PRICE_BOOK_ENTRIES


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str | Promise
    clean: Callable[[str], Any]
    aliases: tuple[str, ...] = ()
    required: bool = False
    on_relationship: bool = False  # customers: stored on the business unit's relationship

    def matches(self) -> set[str]:
        names = {header_key(a) for a in self.aliases} | {header_key(self.name)}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.add(header_key(str(self.label)))
        return names - {""}


@dataclass(frozen=True)
class TargetSpec:
    code: str
    module: str  # the permission module imports into this target need
    fields: tuple[FieldSpec, ...]
    required_any: tuple[str, ...] = field(default=())  # at least one of these must be mapped and given
    action: str = "create"  # the action of ``module`` importing needs (price book prices: "administer")

    def get(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


# --- reading cells ---------------------------------------------------------------------------------

_NOTES = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def header_key(text: str) -> str:
    """``"手机号码（必填）*"`` → ``"手机号码"``; ``" Company Name "`` → ``"companyname"``."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    return _NOT_WORD.sub("", _NOTES.sub("", text))


def cell_text(value: Any) -> str:
    """A cell from any reader as text: spreadsheets give numbers as floats (``13800138000.0``) and
    dates as ``date``/``datetime``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def text(max_length: int) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if len(value) > max_length:
            raise ValidationError(
                _("At most %(max)d characters (this has %(count)d).") % {"max": max_length, "count": len(value)}
            )
        return value

    return clean


def clean_credit_code(value: str) -> str:
    code = normalize_credit_code(value)
    if not is_valid_credit_code(code):
        raise ValidationError(_("Enter a valid 18-character unified social credit code."))
    return code


def clean_mobile(value: str) -> str:
    if not is_valid_mobile(value):
        raise ValidationError(_("Enter an 11-digit mobile number, e.g. 138 0013 8000."))
    return normalize_mobile(value)


def clean_phone(value: str) -> str:
    phone = normalize_phone(value)
    validate_phone(phone)
    if len(phone) > 30:
        raise ValidationError(_("Enter a phone number of 7 to 20 digits."))
    return phone


_email = EmailValidator()


def email_key(value: str) -> str:
    """The duplicate key of an e-mail address: trimmed and lower case."""
    return (value or "").strip().lower()


def clean_email(value: str) -> str:
    address = email_key(value)
    try:
        _email(address)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address.")) from None
    if len(address) > 254:
        raise ValidationError(_("Enter a valid email address."))
    return address


_url = URLValidator()


def clean_website(value: str) -> str:
    url = value if "://" in value else f"http://{value}"
    try:
        _url(url)
    except ValidationError:
        raise ValidationError(_("Enter a valid web address.")) from None
    if len(url) > 200:
        raise ValidationError(_("At most %(max)d characters (this has %(count)d).") % {"max": 200, "count": len(url)})
    return url


def clean_money(value: str) -> Decimal:
    raw = unicodedata.normalize("NFKC", value).replace(",", "").replace("¥", "").replace("元", "").strip()
    multiplier = Decimal(10000) if raw.endswith("万") else Decimal(1)
    raw = raw.removesuffix("万").strip()
    try:
        amount = (Decimal(raw) * multiplier).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter an amount, e.g. 120000 or 12万.")) from None
    if amount < 0 or amount >= Decimal(10) ** 12:
        raise ValidationError(_("Enter an amount, e.g. 120000 or 12万."))
    return amount


_TAG_SPLIT = re.compile(r"[,，;；|、\s]+")


def clean_tags(value: str) -> str:
    """``"重点, 华东；展会"`` → ``"|重点|华东|展会|"`` (the stored form of ``TaggedMixin.tags``)."""
    tags = list(dict.fromkeys(t for t in _TAG_SPLIT.split(value) if t))
    stored = f"|{'|'.join(tags)}|" if tags else ""
    if len(stored) > 500:
        raise ValidationError(
            _("At most %(max)d characters (this has %(count)d).") % {"max": 500, "count": len(stored)}
        )
    return stored


_YES = {"1", "y", "yes", "true", "是", "对", "√", "✓", "x"}
_NO = {"0", "n", "no", "false", "否", "不是", ""}


def clean_bool(value: str) -> bool:
    key = value.strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValidationError(_("Enter yes or no (是 / 否)."))


@cache
def _choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[header_key(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                shown = str(label)
            lookup.setdefault(header_key(shown), value)
            lookup.setdefault(header_key(_NOTES.sub("", shown)), value)  # "A (key account)" → "a"
    return lookup


def choice(choices: type[models.TextChoices]) -> Callable[[str], str]:
    def clean(value: str) -> str:
        found = _choice_lookup(choices).get(header_key(value))
        if found is None:
            with translation.override(translation.get_language()):
                allowed = "、".join(str(label) for label in choices.labels)
            raise ValidationError(_("Not one of: %(allowed)s.") % {"allowed": allowed})
        return found

    return clean


def keep(value: str) -> str:
    return value


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")


def clean_date(value: str) -> datetime.date:
    """``2027-03-31``, ``2027/3/31``, ``2027.3.31``, ``2027年3月31日`` (a time after it is ignored)."""
    found = _DATE.match(unicodedata.normalize("NFKC", value).strip())
    try:
        if found is None:
            raise ValueError(value)
        return datetime.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        raise ValidationError(_("Enter a date, e.g. 2027-03-31.")) from None


_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def clean_month(value: str) -> datetime.date:
    """The 1st of the month: ``2027-03``, ``2027/3``, ``2027.3``, ``2027年3月``, or any date in it
    (spreadsheets give a month cell as its first day, ``2027-03-01 00:00:00``)."""
    raw = unicodedata.normalize("NFKC", value).strip()
    found = _MONTH.match(raw)
    try:
        if found is not None:
            return datetime.date(int(found.group(1)), int(found.group(2)), 1)
        return clean_date(raw).replace(day=1)
    except (ValueError, ValidationError):
        raise ValidationError(_("Enter a month, e.g. 2026-11.")) from None


_QUANTITY_LIMIT = Decimal(10) ** 11  # OpportunityLine.quantity: 14 digits, 3 of them decimals


def clean_quantity(value: str) -> Decimal:
    """``12``, ``1,000``, ``2.5``: more than 0, at most three decimal places (as a product line
    stores it, so nothing is rounded away)."""
    raw = unicodedata.normalize("NFKC", value).replace(",", "").strip()
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        number = Decimal(-1)
    if not number.is_finite() or not 0 < number < _QUANTITY_LIMIT or number != number.quantize(Decimal("0.001")):
        raise ValidationError(_("Enter a quantity greater than 0, with at most three decimal places."))
    return number


def clean_tier(value: str) -> Decimal:
    """A price's "from quantity": ``0``, ``100``, ``1,000``, ``2.5`` — at least 0, at most three
    decimal places (as a price book stores it)."""
    raw = unicodedata.normalize("NFKC", value).replace(",", "").strip()
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        number = Decimal(-1)
    if not number.is_finite() or not 0 <= number < _QUANTITY_LIMIT or number != number.quantize(Decimal("0.001")):
        raise ValidationError(_("Enter a quantity of 0 or more, with at most three decimal places."))
    return number


def clean_price(value: str) -> Decimal:
    """A unit price as ``clean_money`` reads it, never rounded: more than two decimal places is an
    error (as when a price is entered by hand)."""
    amount = clean_money(value)
    raw = unicodedata.normalize("NFKC", value).replace(",", "").replace("¥", "").replace("元", "").strip()
    exact = Decimal(raw.removesuffix("万").strip()) * (Decimal(10000) if raw.endswith("万") else Decimal(1))
    if exact != amount:
        raise ValidationError(_("Money has at most two decimal places."))
    return amount


def clean_percent(value: str) -> Decimal:
    raw = unicodedata.normalize("NFKC", value).replace("%", "").strip()
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        number = Decimal(-1)
    if not number.is_finite() or not 0 <= number <= 100 or number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("Enter a percentage between 0 and 100 (at most two decimal places)."))
    return number


# --- the targets -----------------------------------------------------------------------------------

_REGION = (
    FieldSpec("province", gettext_lazy("province"), text(20), ("省份", "省", "所在省份", "province", "state")),
    FieldSpec("city", gettext_lazy("city"), text(30), ("城市", "市", "所在城市", "city")),
    FieldSpec("district", gettext_lazy("district"), text(30), ("区县", "区", "县", "district", "county")),
    FieldSpec("address", gettext_lazy("address"), text(200), ("地址", "详细地址", "通讯地址", "address")),
)
_INDUSTRY = FieldSpec("industry", gettext_lazy("industry"), text(40), ("行业", "所属行业", "industry"))
_TAGS = FieldSpec("tags", gettext_lazy("tags"), clean_tags, ("标签", "tags", "tag"))
_NOTES_FIELD = FieldSpec("notes", gettext_lazy("notes"), keep, ("备注", "说明", "notes", "note", "remark", "remarks"))
_SOURCE = FieldSpec("source", gettext_lazy("source"), choice(Source), ("来源", "客户来源", "线索来源", "source"))
_OWNER = FieldSpec(OWNER, gettext_lazy("owner"), keep, ("负责人", "所有者", "归属人", "销售", "owner", "sales rep"))
_MOBILE = FieldSpec(
    "mobile",
    gettext_lazy("mobile"),
    clean_mobile,
    ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell", "cellphone"),
)
_PHONE = FieldSpec(
    "phone", gettext_lazy("phone"), clean_phone, ("电话", "座机", "固定电话", "办公电话", "phone", "telephone", "tel")
)
_EMAIL = FieldSpec(
    "email", gettext_lazy("email"), clean_email, ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail")
)
_WECHAT = FieldSpec("wechat", gettext_lazy("WeChat"), text(50), ("微信", "微信号", "wechat", "weixin"))

CUSTOMERS = TargetSpec(
    code=ImportTarget.CUSTOMERS,
    module="customers",
    fields=(
        FieldSpec(
            "name",
            pgettext_lazy("customer", "Name"),
            text(200),
            (
                "公司名称",
                "客户名称",
                "企业名称",
                "单位名称",
                "公司",
                "客户",
                "名称",
                "name",
                "company",
                "companyname",
                "customer",
                "customername",
                "accountname",
            ),
            required=True,
        ),
        FieldSpec("short_name", gettext_lazy("short name"), text(60), ("简称", "客户简称", "公司简称", "short name")),
        FieldSpec(
            "credit_code",
            gettext_lazy("unified social credit code"),
            clean_credit_code,
            ("统一社会信用代码", "社会信用代码", "信用代码", "税号", "credit code", "uscc"),
        ),
        FieldSpec("kind", gettext_lazy("kind"), choice(CustomerKind), ("客户类型", "类型", "kind", "type")),
        _INDUSTRY,
        FieldSpec("size", gettext_lazy("company size"), choice(CompanySize), ("规模", "公司规模", "人员规模", "size")),
        _SOURCE,
        *_REGION,
        FieldSpec("website", gettext_lazy("website"), clean_website, ("网址", "网站", "官网", "website", "web", "url")),
        _TAGS,
        _NOTES_FIELD,
        FieldSpec(
            "level", gettext_lazy("level"), choice(Level), ("级别", "客户级别", "等级", "level"), on_relationship=True
        ),
        FieldSpec(
            "status",
            gettext_lazy("status"),
            choice(RelationshipStatus),
            ("状态", "客户状态", "status"),
            on_relationship=True,
        ),
        _OWNER,
    ),
)

LEADS = TargetSpec(
    code=ImportTarget.LEADS,
    module="leads",
    fields=(
        FieldSpec(
            "company",
            gettext_lazy("company"),
            text(200),
            ("公司名称", "公司", "企业名称", "单位名称", "单位", "客户名称", "company", "company name", "organization"),
        ),
        FieldSpec(
            "contact_name",
            gettext_lazy("contact name"),
            text(50),
            ("联系人", "姓名", "联系人姓名", "名字", "contact", "contact name", "name", "full name"),
            required=True,
        ),
        FieldSpec("contact_title", gettext_lazy("contact title"), text(50), ("职务", "职位", "title", "job title")),
        _MOBILE,
        _PHONE,
        _EMAIL,
        _WECHAT,
        *_REGION,
        _INDUSTRY,
        FieldSpec(
            "company_size", gettext_lazy("company size"), choice(CompanySize), ("规模", "公司规模", "人员规模", "size")
        ),
        _SOURCE,
        FieldSpec("campaign", gettext_lazy("campaign"), text(100), ("市场活动", "活动", "campaign")),
        FieldSpec(
            "product_interest",
            gettext_lazy("product interest"),
            text(100),
            ("意向产品", "感兴趣的产品", "产品", "product interest", "product"),
        ),
        FieldSpec("budget", gettext_lazy("estimated budget"), clean_money, ("预算", "预计预算", "budget")),
        _TAGS,
        _NOTES_FIELD,
        _OWNER,
    ),
)

CONTACTS = TargetSpec(
    code=ImportTarget.CONTACTS,
    module="customers",
    fields=(
        FieldSpec(
            CUSTOMER,
            gettext_lazy("customer"),
            text(200),
            ("客户", "客户名称", "公司名称", "公司", "所属客户", "customer", "company", "account"),
        ),
        FieldSpec(
            CUSTOMER_CREDIT_CODE,
            gettext_lazy("customer's credit code"),
            clean_credit_code,
            ("统一社会信用代码", "社会信用代码", "信用代码", "credit code", "uscc"),
        ),
        FieldSpec(
            "name",
            pgettext_lazy("person", "Name"),
            text(50),
            ("姓名", "联系人", "联系人姓名", "名字", "name", "contact", "contact name"),
            required=True,
        ),
        FieldSpec("title", gettext_lazy("job title"), text(50), ("职务", "职位", "title", "job title")),
        FieldSpec("department", gettext_lazy("department"), text(50), ("部门", "所在部门", "department", "dept")),
        FieldSpec(
            "decision_role",
            gettext_lazy("role in the decision"),
            choice(DecisionRole),
            ("决策角色", "角色", "decision role", "role"),
        ),
        FieldSpec(
            "is_primary",
            gettext_lazy("primary contact"),
            clean_bool,
            ("主要联系人", "首要联系人", "primary", "is primary"),
        ),
        _MOBILE,
        _PHONE,
        _EMAIL,
        _WECHAT,
        _NOTES_FIELD,
    ),
    required_any=(CUSTOMER, CUSTOMER_CREDIT_CODE),
)

PRODUCT_FIELDS = TargetSpec(
    code=PRODUCTS,
    module="catalog",
    fields=(
        FieldSpec(
            "code",
            gettext_lazy("product code"),
            text(40),
            ("产品编码", "产品代码", "编码", "物料编码", "料号", "货号", "code", "product code", "sku"),
            required=True,
        ),
        FieldSpec(
            "name",
            pgettext_lazy("product", "Name"),
            text(120),
            ("产品名称", "名称", "品名", "产品", "name", "product", "product name"),
        ),
        FieldSpec(
            "specification",
            gettext_lazy("specification"),
            text(200),
            ("规格", "规格型号", "型号", "specification", "spec", "model"),
        ),
        FieldSpec("unit", gettext_lazy("unit"), text(10), ("单位", "计量单位", "unit", "uom")),
        FieldSpec(
            "list_price",
            gettext_lazy("list price"),
            clean_money,
            ("标准价", "目录价", "价格", "单价", "售价", "list price", "price"),
        ),
        FieldSpec("cost", gettext_lazy("cost"), clean_money, ("成本", "成本价", "cost")),
        FieldSpec("tax_rate", gettext_lazy("tax rate (%)"), clean_percent, ("税率", "tax rate", "tax")),
        FieldSpec("product_line", gettext_lazy("product line"), text(60), ("产品线", "product line")),
        FieldSpec(CATEGORY, gettext_lazy("category"), text(60), ("类别", "产品类别", "分类", "产品分类", "category")),
        FieldSpec("status", gettext_lazy("status"), choice(ProductStatus), ("状态", "产品状态", "status")),
        FieldSpec("description", gettext_lazy("description"), keep, ("描述", "产品描述", "说明", "description")),
    ),
)

OPPORTUNITY_FIELDS = TargetSpec(
    code=OPPORTUNITIES,
    module="opportunities",
    fields=(
        FieldSpec(
            CUSTOMER,
            gettext_lazy("customer"),
            text(200),
            ("客户", "客户名称", "公司名称", "公司", "所属客户", "customer", "company", "account"),
        ),
        FieldSpec(
            CUSTOMER_CREDIT_CODE,
            gettext_lazy("customer's credit code"),
            clean_credit_code,
            ("统一社会信用代码", "社会信用代码", "信用代码", "credit code", "uscc"),
        ),
        FieldSpec(
            "name",
            pgettext_lazy("opportunity", "Name"),
            text(200),
            ("商机名称", "商机", "机会名称", "项目名称", "名称", "name", "opportunity", "opportunity name", "deal"),
            required=True,
        ),
        FieldSpec(STAGE, gettext_lazy("stage"), text(40), ("阶段", "销售阶段", "商机阶段", "stage")),
        FieldSpec(
            "amount",
            gettext_lazy("amount"),
            clean_money,
            ("金额", "商机金额", "预计金额", "预计成交金额", "amount", "value", "deal amount"),
        ),
        FieldSpec(
            "expected_close",
            gettext_lazy("expected close date"),
            clean_date,
            ("预计成交日期", "预计成交时间", "预计签约日期", "成交日期", "expected close", "close date"),
        ),
        _OWNER,
        FieldSpec("source", gettext_lazy("source"), choice(Source), ("来源", "商机来源", "source")),
        FieldSpec("campaign", gettext_lazy("campaign"), text(100), ("市场活动", "活动", "campaign")),
        FieldSpec("competitors", gettext_lazy("competitors"), text(200), ("竞争对手", "竞品", "competitors")),
        FieldSpec("next_step", gettext_lazy("next step"), text(200), ("下一步", "下一步计划", "next step")),
        FieldSpec(
            "next_step_date",
            gettext_lazy("next step date"),
            clean_date,
            ("下一步日期", "下一步时间", "next step date"),
        ),
        # one product line per row; consecutive rows of the same customer and name add theirs
        FieldSpec(
            PRODUCT,
            gettext_lazy("product"),
            text(120),
            ("产品编码", "产品", "产品代码", "产品名称", "物料编码", "product", "product code", "sku"),
        ),
        FieldSpec("quantity", gettext_lazy("quantity"), clean_quantity, ("数量", "qty", "quantity")),
        FieldSpec("unit_price", gettext_lazy("unit price"), clean_money, ("单价", "成交单价", "unit price", "price")),
        FieldSpec("discount", gettext_lazy("discount (%)"), clean_percent, ("折扣", "折扣率", "discount")),
        FieldSpec(
            "delivery_month",
            gettext_lazy("expected delivery month"),
            clean_month,
            ("交付月份", "预计交付月份", "交货月份", "delivery month", "expected delivery month"),
        ),
        # one contact of the customer per row, with its role on the opportunity
        FieldSpec(CONTACT, gettext_lazy("contact"), text(50), ("联系人", "联系人姓名", "contact", "contact name")),
        FieldSpec(
            CONTACT_ROLE,
            gettext_lazy("role in the decision"),
            choice(DecisionRole),
            ("联系人角色", "角色", "决策角色", "contact role", "role"),
        ),
    ),
    required_any=(CUSTOMER, CUSTOMER_CREDIT_CODE),
)

PRICE_BOOK_ENTRY_FIELDS = TargetSpec(
    code=PRICE_BOOK_ENTRIES,
    module="quotes",
    action="administer",
    fields=(
        FieldSpec(
            PRODUCT,
            gettext_lazy("product code"),
            text(40),
            ("产品编码", "产品代码", "编码", "物料编码", "料号", "货号", "code", "product code", "sku", "product"),
            required=True,
        ),
        FieldSpec(
            "unit_price",
            gettext_lazy("unit price"),
            clean_price,
            ("单价", "价格", "售价", "报价", "协议价", "unit price", "price"),
            required=True,
        ),
        FieldSpec(
            "min_quantity",
            gettext_lazy("from quantity"),
            clean_tier,
            (
                "起订量",
                "起始数量",
                "最小数量",
                "数量下限",
                "阶梯数量",
                "from quantity",
                "min quantity",
                "minimum quantity",
            ),
        ),
        FieldSpec(
            CUSTOMER,
            gettext_lazy("customer"),
            text(200),
            ("客户", "客户名称", "公司名称", "所属客户", "customer", "customer name", "account"),
        ),
        FieldSpec(
            CUSTOMER_CREDIT_CODE,
            gettext_lazy("customer's credit code"),
            clean_credit_code,
            ("统一社会信用代码", "社会信用代码", "信用代码", "credit code", "uscc"),
        ),
    ),
)

TARGETS: dict[str, TargetSpec] = {
    t.code: t for t in (CUSTOMERS, LEADS, CONTACTS, PRODUCT_FIELDS, OPPORTUNITY_FIELDS, PRICE_BOOK_ENTRY_FIELDS)
}


def target_spec(code: str) -> TargetSpec:
    try:
        return TARGETS[code]
    except KeyError:
        raise ValidationError({"target": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(TARGETS)}}) from None


# --- mapping headers to fields ---------------------------------------------------------------------


def auto_mapping(target: str, headers: Iterable[str]) -> dict[str, str]:
    """Header → field for the headers that name a field of ``target`` (each field at most once, the
    first matching header wins); headers that name nothing are left out."""
    spec = target_spec(target)
    index = {key: f.name for f in spec.fields for key in sorted(f.matches())}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        name = index.get(header_key(header))
        if name is not None and name not in taken:
            mapping[header] = name
            taken.add(name)
    return mapping


def check_mapping(target: str, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """The mapping without unmapped headers, or a ``ValidationError`` on ``mapping``: unknown headers
    or fields, a field mapped twice, a required field left out."""
    spec = target_spec(target)
    clean = {h: f for h, f in mapping.items() if f}
    problems: list[str] = []
    unknown_headers = [h for h in clean if h not in headers]
    if unknown_headers:
        problems.append(_("No such column in the file: %(names)s.") % {"names": "、".join(unknown_headers)})
    unknown_fields = [f for f in clean.values() if spec.get(f) is None]
    if unknown_fields:
        problems.append(_("No such field: %(names)s.") % {"names": "、".join(unknown_fields)})
    twice = sorted({f for f in clean.values() if list(clean.values()).count(f) > 1})
    if twice:
        problems.append(
            _("Each field can take one column; mapped more than once: %(names)s.")
            % {"names": "、".join(str(spec.get(f).label) if spec.get(f) else f for f in twice)}  # type: ignore[union-attr]
        )
    missing = [f for f in spec.fields if f.required and f.name not in clean.values()]
    if missing:
        problems.append(_("Map a column to: %(names)s.") % {"names": "、".join(str(f.label) for f in missing)})
    if spec.required_any and not set(spec.required_any) & set(clean.values()):
        problems.append(
            _("Map a column to one of: %(names)s.")
            % {"names": "、".join(str(spec.get(n).label) for n in spec.required_any)}  # type: ignore[union-attr]
        )
    if problems:
        raise ValidationError({"mapping": problems})
    return clean
