"""Who sees which payment plans, payments and invoices: owned records of the ``receivables``
module (the contract owner's and BU scopes); finance's BU scope sees its BU's money."""

from __future__ import annotations

from xietong.core.visibility import OwnedRecordPolicy

MODULE = "receivables"

PAYMENT_PLANS = OwnedRecordPolicy(MODULE, owner_field="owner", shareable=False)
PAYMENTS = OwnedRecordPolicy(MODULE, owner_field="owner", shareable=False)
INVOICES = OwnedRecordPolicy(MODULE, owner_field="owner", shareable=False)
