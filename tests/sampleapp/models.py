from django.conf import settings
from django.db import models

from xietong.core.visibility import VisibleQuerySet


class DealQuerySet(VisibleQuerySet["Deal"]):
    visibility_module = "sample"  # owner + business unit + shares (OwnedRecordPolicy)


class Deal(models.Model):
    name = models.CharField("名称", max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2, default=0)
    stage = models.CharField("阶段", max_length=20, default="初步接洽")

    objects = DealQuerySet.as_manager()

    audit_fields = ("name", "owner", "amount", "stage")

    def __str__(self) -> str:
        return self.name
