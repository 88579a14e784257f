"""Contract numbers: the BU's pattern, the default for a BU without one, the yearly restart, a pattern
refused with the reason, and two contracts never sharing a number (the sequence row is locked)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction

from tests.support.factories import BusinessUnitFactory
from tests.support.i18n import zh
from xietong.contracts import numbering
from xietong.contracts.models import ContractSequence

pytestmark = pytest.mark.django_db


def test_a_bu_without_a_sequence_gets_the_default_pattern_with_its_code_as_prefix(org):
    with transaction.atomic():
        first = numbering.take_number(org["bu1"], date(2026, 11, 29))
        second = numbering.take_number(org["bu1"], date(2026, 11, 30))
    assert (first, second) == ("HT-IND-2026-0001", "HT-IND-2026-0002")
    sequence = ContractSequence.objects.get(business_unit=org["bu1"])
    assert (sequence.prefix, sequence.year, sequence.next_value) == ("IND", 2026, 3)


def test_the_pattern_fields_are_filled_in(org):
    ContractSequence.objects.create(business_unit=org["bu2"], pattern="{prefix}{yy}{mm}-{seq:05d}", prefix="YL")
    with transaction.atomic():
        assert numbering.take_number(org["bu2"], date(2027, 3, 5)) == "YL2703-00001"
        assert numbering.take_number(org["bu2"], date(2027, 3, 6)) == "YL2703-00002"


def test_the_sequence_restarts_each_year_unless_told_not_to(org):
    ContractSequence.objects.create(business_unit=org["bu1"], prefix="A", year=2026, next_value=57)
    ContractSequence.objects.create(
        business_unit=org["bu2"], pattern="B-{yyyy}-{seq}", prefix="B", year=2026, next_value=57, reset_yearly=False
    )
    with transaction.atomic():
        assert numbering.take_number(org["bu1"], date(2026, 12, 31)) == "HT-A-2026-0057"
        assert numbering.take_number(org["bu1"], date(2027, 1, 1)) == "HT-A-2027-0001"
        assert numbering.take_number(org["bu2"], date(2027, 1, 1)) == "B-2027-57"


def test_a_number_already_in_use_is_skipped(org):
    from tests.support.factories import UserFactory
    from tests.support.money import contract

    owner = UserFactory(primary_team=org["east"])
    contract(owner, number="HT-IND-2026-0001")
    with transaction.atomic():
        assert numbering.take_number(org["bu1"], date(2026, 5, 1)) == "HT-IND-2026-0002"


@pytest.mark.parametrize(
    ("pattern", "message", "params"),
    [
        ("HT-{yyyy}", "The pattern needs {seq}, the running number.", {}),
        (
            "HT-{seq}-{dd}",
            "Unknown field {%(name)s}: use {prefix}, {yyyy}, {yy}, {mm} and {seq}.",
            {"name": "dd"},
        ),
        (
            "HT-{prefix.__class__}-{seq}",
            "Unknown field {%(name)s}: use {prefix}, {yyyy}, {yy}, {mm} and {seq}.",
            {"name": "prefix.__class__"},
        ),
        ("HT-{yyyy:>8}-{seq}", "Only {seq} takes a width, e.g. {seq:04d}.", {}),
        # a width without the zero made numbers with blanks: "HT-2026-   1"
        ("HT-{yyyy}-{seq:4d}", "{seq} takes only a zero-padded width, e.g. {seq:04d}.", {}),
        ("HT-{yyyy}-{seq:4}", "{seq} takes only a zero-padded width, e.g. {seq:04d}.", {}),
        ("HT-{yyyy}-{seq:x}", "{seq} takes only a zero-padded width, e.g. {seq:04d}.", {}),
        # a known field with a conversion: refused for the conversion, not called unknown
        (
            "HT-{seq!r}",
            "A field takes no conversion: write {%(name)s}, not {%(name)s!%(conversion)s}.",
            {"name": "seq", "conversion": "r"},
        ),
        (
            "HT-{prefix!a}-{seq:04d}",
            "A field takes no conversion: write {%(name)s}, not {%(name)s!%(conversion)s}.",
            {"name": "prefix", "conversion": "a"},
        ),
        ("HT-{seq", "Unbalanced braces in the pattern.", {}),
        ("", "Enter a number pattern, e.g. HT-{prefix}-{yyyy}-{seq:04d}.", {}),
    ],
)
def test_a_bad_pattern_is_refused_naming_the_problem(pattern, message, params):
    with pytest.raises(ValidationError) as exc:
        numbering.validate_pattern(pattern)
    assert exc.value.message_dict == {"pattern": [zh(message, **params)]}


def test_the_preview_takes_no_number(org):
    sequence = ContractSequence.objects.create(business_unit=org["bu1"], prefix="X", year=2026, next_value=9)
    assert numbering.preview(sequence, date(2026, 6, 1)) == "HT-X-2026-0009"
    assert numbering.preview(sequence, date(2027, 6, 1)) == "HT-X-2027-0001"
    sequence.refresh_from_db()
    assert sequence.next_value == 9


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real parallel connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_takers_never_share_a_number():
    bu = BusinessUnitFactory(code="par", name="并发事业部")
    ContractSequence.objects.create(business_unit=bu, prefix="P", year=2026)
    numbers: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(6)

    def take() -> None:
        try:
            start.wait()
            for _ in range(5):
                with transaction.atomic():
                    numbers.append(numbering.take_number(bu, date(2026, 7, 1)))
        except BaseException as exc:
            failures.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(numbers) == [f"HT-P-2026-{n:04d}" for n in range(1, 31)]


@pytest.mark.django_db
def test_patterns_saved_with_a_blank_padded_width_are_given_zero_padding() -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("xietong.contracts.migrations.0004_zero_padded_sequence_widths")
    cases = {
        "HT-{prefix}-{yyyy}-{seq:4d}": "HT-{prefix}-{yyyy}-{seq:04d}",
        "{yy}{mm}{seq:6}": "{yy}{mm}{seq:06d}",
        "A{seq:0}": "A{seq}",
        "A{seq:0d}": "A{seq}",
        "A{seq:04d}": "A{seq:04d}",
        "A{seq:d}": "A{seq}",
        "A{seq}": "A{seq}",
    }
    assert {old: migration.zero_padded(old) for old in cases} == cases
    for fixed in cases.values():
        assert numbering.validate_pattern(fixed) == fixed
    sequence = ContractSequence.objects.create(business_unit=BusinessUnitFactory(), prefix="IND")
    ContractSequence.objects.filter(pk=sequence.pk).update(pattern="HT-{yyyy}-{seq:4d}")  # saved before the check
    migration._forwards(apps, None)
    sequence.refresh_from_db()
    assert numbering.render(sequence.pattern, prefix="IND", day=date(2026, 12, 1), value=7) == "HT-2026-0007"
