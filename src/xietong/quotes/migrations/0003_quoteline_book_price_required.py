"""Every quote line has its book price (0002 filled the lines made before it)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("quotes", "0002_quoteline_book_price")]

    operations = [
        migrations.AlterField(
            model_name="quoteline",
            name="book_price",
            field=models.DecimalField(decimal_places=2, max_digits=16, verbose_name="book price"),
        ),
    ]
