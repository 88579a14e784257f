"""The CRM data generator of the benchmarks: deterministic, with true labels, valid keys."""

from __future__ import annotations

import itertools

from bench import crm_data
from xietong.core.validators import is_valid_credit_code, is_valid_mobile


def test_two_brands_of_the_code_differ_in_at_least_four_of_six_symbols() -> None:
    codewords = [crm_data.brand_symbols(m) for m in range(0, 3_000_000, 7919)]
    for a, b in itertools.combinations(codewords[:300], 2):
        assert sum(x != y for x, y in zip(a, b, strict=True)) >= 4


def test_the_same_seed_gives_the_same_customers() -> None:
    first = [(s.name, s.cluster, s.credit_code) for s in crm_data.customer_specs(500)]
    again = [(s.name, s.cluster, s.credit_code) for s in crm_data.customer_specs(500)]
    assert first == again
    assert len(first) == 500


def test_only_the_variants_of_one_base_share_a_cluster_and_names_never_repeat() -> None:
    specs = list(crm_data.customer_specs(2000))
    # a name belongs to one company: two variants of one base may coincide, two companies never do
    owner_of: dict[str, object] = {}
    for spec in specs:
        company = spec.cluster if spec.cluster is not None else ("single", spec.index)
        assert owner_of.setdefault(spec.name, company) == company
    clusters: dict[int, list[crm_data.CustomerSpec]] = {}
    for spec in specs:
        if spec.cluster is not None:
            clusters.setdefault(spec.cluster, []).append(spec)
    last = max(clusters)  # the data set may end half-way through a cluster
    assert all(len(members) >= 2 for number, members in clusters.items() if number != last)
    assert all(members[0].transforms == () for members in clusters.values())  # the base comes first
    assert all(m.transforms for members in clusters.values() for m in members[1:])
    labelled = sum(len(members) for members in clusters.values())
    assert 0.05 < labelled / 2000 < 0.20


def test_credit_codes_and_mobiles_are_valid_and_unique() -> None:
    specs = list(crm_data.customer_specs(1000))
    codes = [s.credit_code for s in specs if s.credit_code]
    assert codes and all(is_valid_credit_code(c) for c in codes)
    assert len(set(codes)) == len(codes)
    mobiles = [s.contact_mobile for s in specs]
    assert all(is_valid_mobile(m) for m in mobiles)
    assert len(set(mobiles)) == len(mobiles)


def test_score_counts_pairs_within_the_data_set_only() -> None:
    truth = {1: 7, 2: 7, 3: 7, 10: 8, 11: 8}  # true pairs: (1,2) (1,3) (2,3) (10,11)
    found = [[1, 2], [10, 11, 12], [99, 100]]  # 12 is a wrong member; 99/100 are outside the data set
    recall, precision, true_pairs, found_pairs = crm_data.score(found, truth, range(1, 50))

    assert (true_pairs, found_pairs) == (4, 4)  # (1,2) (10,11) (10,12) (11,12)
    assert recall == 2 / 4
    assert precision == 2 / 4
