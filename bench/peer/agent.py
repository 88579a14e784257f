"""Runs inside the peer's own virtual environment (DjangoCRM's Python), driven by ``djangocrm.Agent``.

One JSON command per line on stdin, one JSON answer per line on stdout:

- ``{"op": "load", "table": "company"|"lead", "path": TSV}``: rows into the peer's table with SQL (COPY on
  PostgreSQL, executemany on SQLite), every other NOT NULL column given its field default; skipped when
  the table already holds that many bench rows;
- ``{"op": "url", "table": …, "offset": N}``: the changelist URL that shows row N (offset pagination);
- ``{"op": "get", "url": …, "n": K}``: K timed GETs through Django's test client as the superuser;
- ``{"op": "import", "path": XLSX}``: the peer's own XLSX import (what its admin view runs in a thread:
  pandas parse, then ``create_objects``), timed, then the rows it created are deleted again.

Standard library and the peer's packages only: this file is executed by the peer's interpreter.
"""

import json
import sys
import time


def main():
    import django

    django.setup()
    from crm.models import Company, Lead
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone, translation

    models = {"company": Company, "lead": Lead}
    user = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    client = Client()
    client.force_login(user)

    def load(cmd):
        model = models[cmd["table"]]
        table = model._meta.db_table
        with open(cmd["path"], encoding="utf-8") as f:
            columns = f.readline().rstrip("\n").split("\t")
            rows = [line.rstrip("\n").split("\t") for line in f]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE token LIKE 'bx%%'")
            if cursor.fetchone()[0] >= len(rows):
                return {"loaded": 0}
        now = timezone.now()
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        given = {name: i for i, name in enumerate(columns)}
        extra = {"creation_date": now, "update_date": now}
        out = []
        for row in rows:
            values = []
            for f in fields:
                if f.attname in given:
                    values.append(row[given[f.attname]])
                elif f.attname in extra:
                    values.append(extra[f.attname])  # type: ignore[arg-type]
                else:
                    default = f.get_default()
                    values.append(default if default is not None or f.null else "")
            out.append(values)
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for values in out:
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * len(fields))
                for start in range(0, len(out), 10000):
                    cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", out[start : start + 10000])
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE " + table)
        return {"loaded": len(out)}

    def url(cmd):
        per_page = 100  # the changelists' list_per_page (Django's default, kept by DjangoCRM)
        with translation.override("en"):
            base = reverse(f"site:crm_{cmd['table']}_changelist")
        page = cmd["offset"] // per_page + 1
        return {"url": f"{base}?p={page}" if page > 1 else base}

    def get(cmd):
        times = []
        for _ in range(cmd["n"]):
            started = time.perf_counter()
            response = client.get(cmd["url"])
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                return {"error": f"GET {cmd['url']} answered {response.status_code}"}
        return {"times": times}

    def do_import(cmd):
        import pandas as pd
        from crm.utils.create_objects import create_objects
        from django.conf import settings

        class Request:
            pass

        request = Request()
        request.user = user  # type: ignore[attr-defined]
        before = Company.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started = time.perf_counter()
        xl = pd.ExcelFile(cmd["path"])
        df1 = xl.parse()
        df1 = df1.fillna("")
        df1.columns = map(str.lower, df1.columns)
        create_objects(
            request,
            df1,
            attr="company",
            object=Company,
            columns=getattr(settings, "COMPANY_COLUMNS"),  # noqa: B009  (the peer's setting, unknown to our stubs)
            uniq1="full_name",
            uniq2="country",
        )
        seconds = time.perf_counter() - started
        created = Company.objects.filter(pk__gt=before).count()
        Company.objects.filter(pk__gt=before).delete()
        return {"seconds": seconds, "created": created}

    ops = {"load": load, "url": url, "get": get, "import": do_import}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            answer = ops[cmd["op"]](cmd)
        except Exception as exc:  # the harness reports it and leaves the peer column empty
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
