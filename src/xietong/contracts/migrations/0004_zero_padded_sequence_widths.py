"""Number patterns saved with a blank-padded width (``{seq:4d}``, ``{seq:4}``) numbered contracts with
blanks ("HT-2026-   1"); patterns are checked for zero-padded widths since, and this gives the ones
saved before the zero padding they meant (``{seq:04d}``). ``{seq:0}`` and ``{seq:0d}`` are ``{seq}``."""

import re

from django.db import migrations

BLANK_PADDED = re.compile(r"\{seq:(0?)([1-9]?)d?\}")


def zero_padded(pattern: str) -> str:
    return BLANK_PADDED.sub(lambda m: f"{{seq:0{m.group(2)}d}}" if m.group(2) else "{seq}", pattern)


def _forwards(apps, schema_editor):
    ContractSequence = apps.get_model("contracts", "ContractSequence")
    for sequence in ContractSequence.objects.all():
        fixed = zero_padded(sequence.pattern)
        if fixed != sequence.pattern:
            ContractSequence.objects.filter(pk=sequence.pk).update(pattern=fixed)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_amendment_status")]

    operations = [migrations.RunPython(_forwards, migrations.RunPython.noop)]
