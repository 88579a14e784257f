"""The name transforms of the duplicate check, one test each, with exact outputs."""

from __future__ import annotations

from xietong.customers import matching


def test_halfwidth_turns_fullwidth_letters_digits_and_brackets_half():
    assert matching.halfwidth("ＡＣＭＥ（１２３）　Ｌｔｄ") == "ACME(123) Ltd"


def test_simplified_turns_traditional_chinese_into_simplified():
    assert matching.simplified("華為技術有限公司") == "华为技术有限公司"


def test_strip_brackets_drops_every_kind_of_bracket_and_its_content():
    assert matching.strip_brackets("华为技术(深圳)有限公司【旗舰】《一》[x]") == "华为技术有限公司"


def test_strip_punctuation_drops_punctuation_and_spaces():
    assert matching.strip_punctuation("华为·技术 有限-公司、") == "华为技术有限公司"


def test_legal_suffixes_zh_are_stripped_repeatedly():
    assert matching.strip_legal_suffixes_zh("阿里巴巴集团控股有限公司") == "阿里巴巴"
    assert matching.strip_legal_suffixes_zh("平安股份有限公司") == "平安"
    assert matching.strip_legal_suffixes_zh("三一有限责任公司") == "三一"


def test_branch_suffix_takes_the_branch_place_with_it():
    assert matching.strip_legal_suffixes_zh("华为技术有限公司上海分公司") == "华为技术"
    assert matching.strip_legal_suffixes_zh("华为技术有限公司杭州市分公司") == "华为技术"


def test_legal_suffix_is_kept_when_nothing_distinctive_would_remain():
    assert matching.strip_legal_suffixes_zh("天公司") == "天公司"


def test_region_prefix_province_and_city_are_stripped():
    assert matching.strip_region_prefix("北京市华为技术") == "华为技术"
    assert matching.strip_region_prefix("浙江省杭州市娃哈哈") == "娃哈哈"


def test_region_prefix_of_autonomous_region_and_prefecture_city():
    assert matching.strip_region_prefix("广西壮族自治区柳工机械") == "柳工机械"
    assert matching.strip_region_prefix("苏州科沃斯") == "科沃斯"


def test_region_prefix_stays_before_a_generic_or_short_rest():
    assert matching.strip_region_prefix("北京汽车") == "北京汽车"
    assert matching.strip_region_prefix("上海电气") == "上海电气"
    assert matching.strip_region_prefix("杭州") == "杭州"
    assert matching.strip_region_prefix("杭州湾") == "杭州湾"


def test_english_words_lower_case_and_drop_leading_the_and_read_ampersand():
    assert matching.words("The Acme & Sons, Inc.") == ["acme", "and", "sons", "inc"]


def test_english_legal_suffixes_are_stripped_repeatedly():
    assert matching.strip_legal_suffixes_en(["acme", "trading", "group", "co", "ltd"]) == ["acme", "trading"]
    assert matching.strip_legal_suffixes_en(["acme", "holdings", "llc"]) == ["acme"]
    assert matching.strip_legal_suffixes_en(["ltd"]) == ["ltd"]


def test_english_region_word_prefix_is_stripped_before_a_longer_name():
    assert matching.strip_region_words(["shanghai", "acme", "trading"]) == ["acme", "trading"]
    assert matching.strip_region_words(["shanghai"]) == ["shanghai"]


def test_normalise_name_chinese_spellings_share_one_key():
    spellings = [
        "北京市华为技术有限公司",
        "華為技術有限公司",
        "华为技术（深圳）有限公司",
        "华为技术有限公司上海分公司",
        "华为 技术 股份有限公司",
    ]
    assert {matching.normalise_name(s) for s in spellings} == {"华为技术"}


def test_normalise_name_english_spellings_share_one_key():
    spellings = [
        "Acme Trading Co., Ltd.",
        "ＡＣＭＥ　Ｔｒａｄｉｎｇ",
        "Shanghai Acme Trading Co Ltd",
        "ACME TRADING LIMITED",
    ]
    assert {matching.normalise_name(s) for s in spellings} == {"acmetrading"}


def test_normalise_name_of_nothing_is_empty():
    assert matching.normalise_name("") == ""
    assert matching.normalise_name("（）") == ""


def test_normalise_email_trims_lowers_and_drops_mailto():
    assert matching.normalise_email(" mailto:Wang.Li@Example.COM ") == "wang.li@example.com"
    assert matching.normalise_email("ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "wang@example.com"


def test_normalise_person_drops_spaces_and_simplifies():
    assert matching.normalise_person("張 偉") == "张伟"


def test_name_tokens_of_chinese_key_are_bigrams_without_generic_words_and_skip_bigrams():
    assert matching.name_tokens("华为技术") == ["华为", "为技", "华*技", "为*术"]


def test_name_tokens_of_latin_key_are_trigrams():
    assert matching.name_tokens("acmeco") == ["acm", "cme", "mec", "eco"]
    assert matching.name_tokens("ab") == ["ab"]


def test_similarity_one_character_typo_in_chinese():
    assert matching.similarity("华为技术", "华伟技术") == 75


def test_similarity_two_character_typos_in_a_longer_chinese_name():
    assert matching.similarity("阿里巴巴网络技术", "阿里爸爸网络技术") == 75


def test_similarity_word_order():
    assert matching.similarity("华为技术", "技术华为") == 90
    assert matching.similarity("acmeglobal", "globalacme") == 90


def test_similarity_english_typo():
    assert matching.similarity("acmetrading", "acmetradng") == 91


def test_similarity_rejects_short_or_too_different_names():
    assert matching.similarity("华为", "华伟") == 0
    assert matching.similarity("华为技术", "中兴通讯") == 0
    assert matching.similarity("华为技术", "华为技术") == 100
