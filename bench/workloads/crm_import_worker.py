"""B1's contestant process: one import, end to end, in a fresh process so its peak memory is its own.

``python -m bench.workloads.crm_import_worker FILE ACTOR_ID BU_CODE`` (with ``DATABASE_URL`` and
``DJANGO_SETTINGS_MODULE`` of the run) stores the file as an upload (``import_job_create``: encoding
detection, the header read, the automatic mapping of the Chinese headers), configures the job (skip
duplicates) and runs it (``run_import``: the task's body), then prints one JSON line: seconds (from the
upload to the last row committed), the job's counts and errors, and the peak RSS of the process.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.core.files import File

    from xietong.imports import services, storage
    from xietong.imports.models import ImportJob
    from xietong.org.models import BusinessUnit, User

    path, actor_id, bu_code = argv
    actor = User.objects.get(pk=int(actor_id))
    business_unit = BusinessUnit.objects.get(code=bu_code)
    started = time.perf_counter()
    with open(path, "rb") as upload:
        job = services.import_job_create(
            actor=actor, target="customers", business_unit=business_unit, upload=File(upload), file_name=path
        )
    unmapped = [h for h in job.headers if h not in job.mapping]
    job = services.import_job_configure(
        actor=actor, job=job, mapping=dict(job.mapping), duplicate_mode="skip", dry_run=False
    )
    services.run_import(job.pk)
    seconds = time.perf_counter() - started
    job = ImportJob.objects.get(pk=job.pk)
    storage.delete(job.file_path)
    out = {
        "seconds": seconds,
        "status": job.status,
        "failure": job.failure,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "error_rows": job.error_count,
        "errors": [[e.get("line"), e.get("column")] for e in job.errors],
        "unmapped": unmapped,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    ImportJob.objects.filter(pk=job.pk).delete()
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
