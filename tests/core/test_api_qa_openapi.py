"""The quote-to-cash part of the OpenAPI schema describes what its endpoints really take and answer.

django-ninja files every pydantic model under its class name in ``components.schemas`` and a later
model of the same name silently replaces an earlier one: the payment plan's answer was described as
the S&OP plan (``PlanOut``), a contract's lines as the demand plan's lines (``LineOut``), a quote
comparison as the plan comparison (``CompareOut``) — an ERP generating its client from
docs/openapi.json got the wrong types.
"""

from __future__ import annotations

from typing import Any

from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema

from xietong.config.api import api

Q2C_TAGS = {"quotes", "approvals", "contracts", "orders", "receivables"}


def _models(operation: Any) -> list[tuple[Any, str]]:
    found = [(m, "serialization") for m in operation.response_models.values() if hasattr(m, "model_json_schema")]
    found += [(m, "validation") for m in operation.models if hasattr(m, "model_json_schema")]
    return found


def _definitions(model: Any, mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode)
    return schema.get("$defs", {})


def test_every_quote_to_cash_schema_in_the_openapi_is_the_endpoints_own():
    components = api.get_openapi_schema(path_prefix="/api/v1/")["components"]["schemas"]
    wrong = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if not Q2C_TAGS & set(operation.tags or router.tags or []):
                    continue
                for model, mode in _models(operation):
                    for name, definition in _definitions(model, mode).items():
                        published = components.get(name, {}).get("properties", {})
                        if set(definition.get("properties", {})) != set(published):
                            wrong.add(f"{operation.view_func.__module__}.{operation.view_func.__name__}: {name}")
    assert sorted(wrong) == [], "\n".join(sorted(wrong))


def test_no_quote_to_cash_schema_shares_its_name_with_another_model():
    """Two models of one name: the one registered last is published for both. The approvals' comment,
    return and task models hid the comments API's ``CommentIn``, the leads' ``ReturnIn`` and the
    tasks API's ``TaskOut``."""
    shapes: dict[str, set[frozenset[str]]] = {}
    q2c_names: set[str] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                q2c = bool(Q2C_TAGS & set(operation.tags or router.tags or []))
                for model, mode in _models(operation):
                    for name, definition in _definitions(model, mode).items():
                        shapes.setdefault(name, set()).add(frozenset(definition.get("properties", {})))
                        if q2c:
                            q2c_names.add(name)
    assert sorted(name for name in q2c_names if len(shapes[name]) > 1) == []
