"""The REST API under /api/v1/: one NinjaAPI, a router per app."""

from ninja import NinjaAPI
from ninja.security import django_auth

from xietong.approvals.api import router as approvals_router
from xietong.catalog.api import router as catalog_router
from xietong.collaboration.api import router as collaboration_router
from xietong.collaboration.attachments_api import router as attachments_router
from xietong.collaboration.calendar_api import router as calendar_router
from xietong.collaboration.comments_api import router as comments_router
from xietong.collaboration.feeds_api import router as feeds_router
from xietong.collaboration.follows_api import router as follows_router
from xietong.collaboration.shares_api import router as shares_router
from xietong.collaboration.tasks_api import router as tasks_router
from xietong.collaboration.timeline_api import router as timeline_router
from xietong.contracts.api import router as contracts_router
from xietong.core.api import InputParser, JSONRenderer, TokenAuth, install_error_handlers
from xietong.customers.api import router as customers_router
from xietong.customers.duplicates_api import router as duplicates_router
from xietong.customers.pools_api import router as customer_pools_router
from xietong.imports.api import router as imports_router
from xietong.leads.api import router as leads_router
from xietong.orders.api import router as orders_router
from xietong.org.api import router as org_router
from xietong.pipeline.analytics_api import router as pipeline_analytics_router
from xietong.pipeline.api import router as pipeline_router
from xietong.pipeline.forecast_api import router as forecast_router
from xietong.quotes.api import router as quotes_router
from xietong.receivables.api import router as receivables_router
from xietong.supply.api import router as supply_router

api = NinjaAPI(
    title="XieTong API",
    version="1",
    description="XieTong (协同) REST API. Authenticate with a browser session or a personal access token "
    "(`Authorization: Bearer xt_...`). Errors: `{detail, errors: [{field, message}]}`.",
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    renderer=JSONRenderer(),
    parser=InputParser(),
)
install_error_handlers(api)
api.add_router("", org_router)
api.add_router("", collaboration_router)
api.add_router("", follows_router)
api.add_router("", comments_router)
api.add_router("", timeline_router)
api.add_router("", tasks_router)
api.add_router("", attachments_router)
api.add_router("", calendar_router)
api.add_router("", feeds_router)
api.add_router("", shares_router)
api.add_router("", duplicates_router)  # /customers/duplicates and /customers/merge before /customers/{id}
api.add_router("", customer_pools_router)
api.add_router("", customers_router)
api.add_router("", leads_router)
api.add_router("", imports_router)
api.add_router("", catalog_router)
api.add_router("", pipeline_router)
api.add_router("", forecast_router)
api.add_router("", pipeline_analytics_router)
api.add_router("", approvals_router)
api.add_router("", quotes_router)
api.add_router("", contracts_router)
api.add_router("", orders_router)
api.add_router("", receivables_router)
api.add_router("", supply_router)
