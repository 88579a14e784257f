from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductStatus(models.TextChoices):
    ACTIVE = "active", _("On sale")
    INACTIVE = "inactive", _("Not on sale")
    DISCONTINUED = "discontinued", _("Discontinued")
