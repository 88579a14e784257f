"""The OpenAPI schema describes what the endpoints really take and answer.

django-ninja files every pydantic model under its class name in ``components.schemas`` and a later
model of the same name silently replaces an earlier one: the payment plan's answer was described as
the S&OP plan (``PlanOut``), a contract's lines as the demand plan's lines (``LineOut``), a quote
comparison as the plan comparison (``CompareOut``) — an ERP generating its client from
docs/openapi.json got the wrong types. The quote-to-cash part is checked shape by shape; across the
whole API no two schema classes may share a name.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any, get_args

from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema
from pydantic import BaseModel

from xietong.config.api import api

Q2C_TAGS = {"quotes", "approvals", "contracts", "orders", "receivables"}


def _operations() -> Iterator[tuple[Any, Any]]:
    """Every (router, operation) of the API, the routers mounted inside a router (supply) included."""
    for prefix, top in api._routers:
        for mount in top.build_routers(prefix):
            for path_view in mount.template.path_operations.values():
                for operation in path_view.operations:
                    yield mount.template, operation


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
    for router, operation in _operations():
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
    for router, operation in _operations():
        q2c = bool(Q2C_TAGS & set(operation.tags or router.tags or []))
        for model, mode in _models(operation):
            for name, definition in _definitions(model, mode).items():
                shapes.setdefault(name, set()).add(frozenset(definition.get("properties", {})))
                if q2c:
                    q2c_names.add(name)
    assert sorted(name for name in q2c_names if len(shapes[name]) > 1) == []


def _published_classes(annotation: Any, found: set[type], *, nested: bool = True) -> None:
    """The models (and enums) of ``annotation`` that ninja files in ``components.schemas`` under their
    class name: a model, its fields' models (unless not ``nested``), the members of ``list[...]``,
    ``X | None``, ``dict[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        found.add(annotation)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            if nested:
                for field in annotation.model_fields.values():
                    _published_classes(field.annotation, found)
                for computed in annotation.model_computed_fields.values():
                    _published_classes(computed.return_type, found)
    else:
        for arg in get_args(annotation):
            _published_classes(arg, found, nested=nested)


def _where(cls: type) -> str:
    """``module.Class``; for a class ninja made (a ``Paged...`` page) also the models it holds."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    if cls.__module__.startswith("xietong.") or not issubclass(cls, BaseModel):
        return where
    held: set[type] = set()
    for field in cls.model_fields.values():
        _published_classes(field.annotation, held, nested=False)
    return f"{where} (of {', '.join(sorted(_where(c) for c in held))})"


def _schema_classes() -> set[type]:
    """Every class the API's operations publish a schema of: their answers (ninja's ``Paged...`` pages
    included) and their path, query, form and body parameters. Ninja's own wrappers (the
    ``NinjaResponseSchema`` of an answer, the ``PathParams`` / ``QueryParams`` / ``BodyParams`` of an
    operation) are unwrapped into the operation and never published, so only their fields count."""
    found: set[type] = set()
    for _router, operation in _operations():
        wrappers = [m for m in operation.response_models.values() if isinstance(m, type)] + list(operation.models)
        for wrapper in wrappers:
            for field in wrapper.model_fields.values():
                _published_classes(field.annotation, found)
    return found


def test_no_two_schemas_of_the_api_share_a_name():
    """``components.schemas`` is keyed by the class name: of two models named ``LineOut`` (an
    opportunity's line, a forecast line, a production line, a demand plan's line) the last one
    registered was published for all of them, so the other endpoints documented a body they do not
    take or answer (the customers' ``ContactOut`` showed the opportunity contact's
    contact/role/title)."""
    classes = _schema_classes()
    by_name: dict[str, set[type]] = {}
    for cls in classes:
        by_name.setdefault(cls.__name__, set()).add(cls)
    collisions = {name: sorted(_where(cls) for cls in same) for name, same in sorted(by_name.items()) if len(same) > 1}
    assert collisions == {}, "\n".join(f"{name}: {', '.join(where)}" for name, where in collisions.items())
    published = set(api.get_openapi_schema(path_prefix="/api/v1/")["components"]["schemas"])
    assert published <= set(by_name), f"not found by the walk: {sorted(published - set(by_name))}"
