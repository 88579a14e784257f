"""What the CRM workloads (B1 import, B2 create, B3 lists, B6 duplicates, B8 pool) share: the data set
of the run, percentiles, the bare reference views, a client logged in as a demo user, clean-ups."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from bench import crm_data
from bench.core import Context, Skip

# Depth of the "deep" list page: page 10,000 of 50 at 1M rows (the middle of a BU's customers); the
# same relative depth at smaller scales, so that page 10,000 means "half-way down" everywhere.
PAGE_SIZE = 50
DEEP_PAGE_AT_1M = 10_000


def dataset(ctx: Context) -> crm_data.Dataset:
    found = crm_data.loaded(ctx.scale)
    if found is None:
        raise Skip(f"no CRM data of scale {ctx.scale} in this database")
    return found


def require_postgresql(ctx: Context, what: str) -> None:
    if ctx.vendor != "postgresql":
        raise Skip(f"{what} needs PostgreSQL (run with --database-url postgres://…)")


def require(module: str, name: str) -> Any:
    """An app function the workload measures; Skip (not a crash) while it does not exist yet."""
    import importlib

    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise Skip(f"{module}.{name} is not there yet ({exc})") from None
    return found


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def deep_page(customers: int) -> int:
    """The page that is as deep, relatively, as page 10,000 of 50 rows is in 1M."""
    return max(2, round(DEEP_PAGE_AT_1M * customers / crm_data.SCALES["1M"]))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = fn()
    return time.perf_counter() - started, answer


def logged_in_client(user: Any, ctx: Context) -> Any:
    """Django's test client through ``bench.urls`` (the app plus the bare views), logged in as ``user``."""
    from django.conf import settings
    from django.test import Client, override_settings

    ctx.exit_stack.enter_context(
        override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], DEBUG=False)
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


# --- the bare reference views (only in the benchmark process, through bench.urls) ----------------

# name → the SQL statements one request runs: the same statements ours ran for that page, captured
# in the workload's setup, so the floor is "the same keyset SQL" by construction.
BARE_SQL: dict[str, list[str]] = {}


def bare_sql_page(request: HttpRequest, name: str) -> HttpResponse:
    """The floor of a list page: the captured SQL, run as is, its rows as JSON. Nothing else."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Authentication required.", "errors": []}, status=401)
    results = []
    with connection.cursor() as cursor:
        for statement in BARE_SQL[name]:
            cursor.execute(statement)
            results.append([list(row) for row in cursor.fetchall()])
    return HttpResponse(json.dumps({"results": results}, cls=DjangoJSONEncoder), content_type="application/json")


BARE_INSERT_COLUMNS = ("kind", "name", "name_key", "credit_code", "province", "city", "created_at", "updated_at")


@csrf_exempt
def bare_customer_create(request: HttpRequest) -> HttpResponse:
    """The floor of B2: parse the JSON, one INSERT into the customer table, answer 201 with the id."""
    from django.utils import timezone

    data = json.loads(request.body)
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    from bench.crm_data import _Writer
    from xietong.customers.models import Customer

    writer = _BARE_WRITER.get("customer")
    if writer is None:
        writer = _BARE_WRITER["customer"] = _Writer(Customer, BARE_INSERT_COLUMNS)
    values = {
        "kind": "company",
        "name": data["name"],
        "name_key": data["name"],
        "credit_code": data.get("credit_code", ""),
        "province": data.get("province", ""),
        "city": data.get("city", ""),
        "created_at": stamp,
        "updated_at": stamp,
    }
    row = [values[attname] if given else default for given, attname, default in writer.order]
    cols = ", ".join(connection.ops.quote_name(c) for c in writer.columns)
    marks = ", ".join(["%s"] * len(writer.columns))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {writer.table} ({cols}) VALUES ({marks}) RETURNING id", row)
        pk = cursor.fetchone()[0]
    return JsonResponse({"id": pk, "name": data["name"]}, status=201)


_BARE_WRITER: dict[str, Any] = {}


# --- clean-ups ---------------------------------------------------------------------------------------


def delete_customers_after(ctx: Context, last_id: int) -> int:
    """Delete the customers with an id above ``last_id`` (what a measured import or create added),
    with their contacts, relationships, claim log and name tokens, in a few set-based statements."""
    from xietong.customers import models

    tables = [
        ("customers_claimlog", "relationship_id IN (SELECT id FROM customers_relationship WHERE customer_id > %s)"),
        ("customers_relationship", "customer_id > %s"),
        ("customers_contact", "customer_id > %s"),
        ("customers_followup", "customer_id > %s"),
    ]
    if hasattr(models, "NameToken"):
        tables.append(("customers_nametoken", "target = 'customer' AND object_id > %s"))
    tables.append(("customers_customer", "id > %s"))
    from django.db import transaction

    deleted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for table, where in tables:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", [last_id])
            if table == "customers_customer":
                deleted = cursor.rowcount
    return deleted


def max_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return int(cursor.fetchone()[0])
