"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records.

An import or export job is seen only by the person who started it, so every other role gets 404."""

from __future__ import annotations

from typing import Any

from tests.support.matrix import Route

ROUTES: list[Route] = [
    Route("GET", "/api/v1/imports/{pk}", "import_job", api=True),
    Route("GET", "/api/v1/imports/{pk}/errors", "import_job", api=True),
    Route("GET", "/api/v1/exports/{pk}", "export_job", api=True),
    Route("GET", "/api/v1/exports/{pk}/download", "export_job", api=True),
    Route("GET", "/imports/{pk}/", "import_job"),
    Route("POST", "/imports/{pk}/", "import_job", {"col_0": "name", "duplicate_mode": "skip"}),
    Route("GET", "/imports/{pk}/errors/", "import_job"),
    Route("POST", "/imports/{pk}/repeat/", "import_job", {}),
]
NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area owned in BU2 by ``outsider`` (or another BU2 user): name → record."""
    from xietong.imports.models import ExportJob, ImportJob

    import_job = ImportJob.objects.create(
        target="customers",
        business_unit=org["bu2"],
        actor=outsider,
        file_name="外部客户.csv",
        file_path="uploads/outsider.csv",
        headers=["公司名称"],
        mapping={"公司名称": "name"},
        status="done",
        errors=[{"line": 2, "column": "公司名称", "reason": "x"}],
    )
    export_job = ExportJob.objects.create(
        target="customers", actor=outsider, status="done", file_path="exports/outsider.xlsx", file_name="外部.xlsx"
    )
    return {"import_job": import_job, "export_job": export_job}
