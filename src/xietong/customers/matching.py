"""Duplicate matching (查重): normalised keys and fuzzy company names in Chinese and English.

``normalise_name`` turns a company name into the key two spellings of one company share:
full-width → half-width, traditional → simplified (OpenCC), lower case, brackets and their
content dropped, region prefixes and legal-form suffixes dropped, punctuation and spaces dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc

# Longest first, so that 股份有限公司 goes before 有限公司.
LEGAL_SUFFIXES_ZH = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团有限公司",
        "集团股份有限公司",
        "集团公司",
        "集团",
        "分公司",
        "总公司",
        "公司",
        "工作室",
        "合伙企业",
        "有限合伙",
        "厂",
    ],
    key=len,
    reverse=True,
)
LEGAL_SUFFIXES_EN = [
    "co ltd",
    "co limited",
    "company limited",
    "limited",
    "ltd",
    "inc",
    "incorporated",
    "llc",
    "corp",
    "corporation",
    "co",
    "company",
    "group",
    "gmbh",
    "plc",
    "pte",
    "sa",
    "ag",
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
_REGION_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_BRACKETS = re.compile(r"[(（\[【［〔{｛<《][^)）\]】］〕}｝>》]*[)）\]】］〕}｝>》]")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def simplified(text: str) -> str:
    return str(_t2s().convert(text))


def _strip_region(text: str) -> str:
    for province in PROVINCES:
        if text.startswith(province):
            rest = text[len(province) :]
            for suffix in _REGION_SUFFIXES:
                if rest.startswith(suffix):
                    rest = rest[len(suffix) :]
                    break
            return rest if len(rest) >= 2 else text
    return text


def normalise_name(name: str) -> str:
    """The company-name key: same company, same key (``北京市华为技术有限公司`` → ``华为技术``)."""
    text = simplified(halfwidth(name or "")).lower().strip()
    text = _BRACKETS.sub("", text)
    if re.search(r"[\u4e00-\u9fff]", text):
        text = _NOT_WORD.sub("", text)
        text = _strip_region(text)
        for suffix in LEGAL_SUFFIXES_ZH:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
                break
        return text
    words = [w for w in _NOT_WORD.split(text) if w]
    changed = True
    while changed and len(words) > 1:
        changed = False
        for suffix in LEGAL_SUFFIXES_EN:
            parts = suffix.split()
            if len(words) > len(parts) and words[-len(parts) :] == parts:
                words = words[: -len(parts)]
                changed = True
                break
    return "".join(words)
