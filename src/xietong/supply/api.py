"""The S&OP REST endpoints, one router per area: master data and ERP upserts (``api_master``), demand
plans and forecasts (``api_plan``), supply plans, planned orders and available-to-promise
(``api_supply``)."""

from __future__ import annotations

from ninja import Router

from .api_master import router as master_router
from .api_plan import router as plan_router
from .api_supply import router as supply_router

router = Router()
router.add_router("", master_router)
router.add_router("", plan_router)
router.add_router("", supply_router)
