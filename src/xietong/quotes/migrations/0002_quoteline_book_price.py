"""A quote line keeps the price book's price it was priced against (a lower unit price is a discount).

Lines made before have no record of it: their unit price stands in, so their discounts read as before.
"""

from django.db import migrations, models


def _unit_price_stands_in(apps, schema_editor):
    QuoteLine = apps.get_model("quotes", "QuoteLine")
    QuoteLine.objects.update(book_price=models.F("unit_price"))


class Migration(migrations.Migration):
    dependencies = [("quotes", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="quoteline",
            name="book_price",
            field=models.DecimalField(decimal_places=2, max_digits=16, null=True, verbose_name="book price"),
        ),
        migrations.RunPython(_unit_price_stands_in, migrations.RunPython.noop),
    ]
