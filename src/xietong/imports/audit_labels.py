"""How the audit trail reads the entries of imports and exports."""

from django.utils.translation import gettext_lazy as _

from xietong.core import audit

audit.register_verb("import", _("Imported"))
audit.register_verb("export", _("Exported"))
for key, label in (
    ("target", _("import into")),
    ("created", _("created")),
    ("updated", _("updated")),
    ("skipped", _("skipped")),
    ("error_rows", _("rows with errors")),
):
    audit.register_change_label("imports.importjob", key, label)
    audit.register_change_label("org.businessunit", key, label)  # imports run without a job (benchmarks)
audit.register_change_label("imports.exportjob", "filters", _("filters"))
