from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderStatus(models.TextChoices):
    CREDIT_REVIEW = "credit_review", _("Credit review")
    NEW = "new", pgettext_lazy("order", "New")
    CONFIRMED = "confirmed", pgettext_lazy("order", "Confirmed")
    SCHEDULED = "scheduled", _("Scheduled")
    PARTLY_SHIPPED = "partly_shipped", _("Partly shipped")
    SHIPPED = "shipped", _("Shipped")
    CANCELLED = "cancelled", pgettext_lazy("order", "Cancelled")


# The reasons the system cancels an order with (stored as written here, in no language; shown
# translated by ``Order.get_cancelled_reason_display``; the API names them by ``SYSTEM_REASON_CODES``). A
# person's reason is stored as they typed it.
CREDIT_REJECTED_REASON = "credit review rejected"
CONTRACT_TERMINATED_REASON = "contract terminated during credit review"
SYSTEM_REASONS = {
    CREDIT_REJECTED_REASON: _("The credit review was rejected."),
    CONTRACT_TERMINATED_REASON: _("The contract was terminated during the credit review."),
}
SYSTEM_REASON_CODES = {CREDIT_REJECTED_REASON: "credit_rejected", CONTRACT_TERMINATED_REASON: "contract_terminated"}
