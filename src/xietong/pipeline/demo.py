"""The demo pipeline (org/demo.py runs this step after the people, customers and products exist).

Each demo business unit gets the standard sales process (``configuration.STANDARD_STAGES``), created
by its BU head through ``configuration.process_create``, with a playbook and a few checklist items
per stage (some required). Then every sales rep of the demo group gets 4–8 opportunities on the
customers they own, driven through the services as the rep would: created at the first stage, then
contacts with their roles, product lines, the close date and the next step added as each gate asks,
the required checklist ticked, and moved forward one stage at a time; some are won, some lost (with
the reason and the competitor), a few carry a cross-department deal team (pre-sales, supply,
production, finance of the same BU; splits summing to 100).

Last, the history is spread over the past months (plain updates of the timestamps the services just
wrote: stage moves, time in stage, creation, last activity, closing), so that conversion, velocity
and pipeline health have something to show: some deals are overdue, some stale, some slow.

Deterministic (one seeded stream per rep) and idempotent: a BU's process is made only if missing, its
opportunities only when none of its demo reps created one yet. Reps who own no demo customer get none.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from xietong.org import demo as org_demo
from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, User

from . import configuration, services
from .choices import LostReason, MemberAccess, OpportunityStatus, TeamRole
from .models import Opportunity, SalesProcess, StageMove

SEED = 20260301
PROCESS_NAME = "标准销售流程"
PROCESS_DESCRIPTION = "从初步接洽到合同签订的五个阶段；每个阶段有进入条件、行动指引和检查项。"
BUS = ("ind", "med", "energy")

# The requirements of each BU's discovery stage differ: a cutting test, a clinical case, a site survey.
DISCOVERY = {
    "ind": "完成工艺评估或样件试切",
    "med": "临床科室论证并确认院内立项",
    "energy": "完成现场勘查与负荷曲线分析",
}
# stage name → (playbook, checklist: (text, required)); "{discovery}" is the BU's discovery item
PLAYBOOKS: dict[str, tuple[str, tuple[tuple[str, bool], ...]]] = {
    "初步接洽": (
        "24 小时内完成首次电话或拜访；了解客户背景、采购窗口和预算来源，把关键人录入联系人。",
        (("完成首次拜访或电话沟通", True), ("录入客户组织架构与关键人", False)),
    ),
    "需求确认": (
        "与技术负责人确认需求与验收标准，必要时约售前工程师参与；弄清决策链和采购方式（招标 / 议标）。",
        (("{discovery}", True), ("确认预算与采购方式", False), ("邀请售前参与需求调研", False)),
    ),
    "方案报价": (
        "售前输出技术方案，按价格政策报价；超出折扣权限的先走审批。报价附交期与付款条件。",
        (("技术方案已提交客户", True), ("报价经销售主管审核", False)),
    ),
    "商务谈判": (
        "锁定决策人，谈判价格、付款与交期；定制或大批量订单请供应计划、生产计划确认产能与交期。",
        (("交期经供应与生产计划确认", True), ("付款条件与客户财务确认", False)),
    ),
    "合同签订": (
        "合同评审（法务、财务）通过后签署；约定首付款、交付与验收计划，移交运营交付部。",
        (("合同评审通过", True), ("首付款计划录入", False)),
    ),
    "赢单": ("赢单后一周内召开内部交接会，确认交付计划与回款节点。", ()),
    "输单": ("输单需写明原因和赢单的竞争对手，三个月后回访。", ()),
}

OPEN_STAGES = ("初步接洽", "需求确认", "方案报价", "商务谈判", "合同签订")
# where an opportunity ends up: an open stage (its index), "won" or "lost"
OUTCOMES: tuple[tuple[int | str, int], ...] = ((0, 3), (1, 3), (2, 3), (3, 2), (4, 1), ("won", 2), ("lost", 2))
COMPETITORS = {
    "ind": ("德玛吉森精机", "马扎克", "海天精工", "发那科"),
    "med": ("联影医疗", "GE 医疗", "西门子医疗", "迈瑞医疗"),
    "energy": ("阳光电源", "华为数字能源", "宁德时代", "特来电"),
}
PROJECTS = ("采购项目", "扩产项目", "设备更新改造", "二期项目", "年度框架采购", "新厂建设项目")
SOURCES = ("referral", "exhibition", "web", "phone", "partner", "cold")
NEXT_STEPS = ("发送技术方案", "约技术交流会", "安排样件试切 / 演示", "提交报价单", "商务谈判会", "合同评审")
# extra contacts of a customer an opportunity involves: (name, title, role in the decision)
EXTRA_CONTACTS = (
    ("郑工", "技术负责人", "influencer"),
    ("冯会计", "财务主管", "finance"),
    ("卫主任", "设备使用部门负责人", "user"),
)
LOST = (
    (LostReason.COMPETITOR, "客户最终选择了竞争对手的方案。"),
    (LostReason.PRICE, "价格高于客户预算上限。"),
    (LostReason.BUDGET, "客户年度预算被削减。"),
    (LostReason.TIMING, "项目推迟到明年。"),
)
WON_NOTES = ("客户认可整体方案与交期。", "凭借服务网络与交付案例赢单。", "价格与付款条件双方达成一致。")


def _people(codes: set[str]) -> dict[str, dict[str, list[User]]]:
    """The demo group's people by BU and role (from the plan, so the bench's added users are left out)."""
    _teams, specs = org_demo._demo_plan()
    wanted = {s.username: (s.role_bu, s.role) for s in specs if s.role_bu in codes}
    users = {u.username: u for u in User.objects.filter(username__in=list(wanted), is_active=True)}
    out: dict[str, dict[str, list[User]]] = {code: {} for code in codes}
    for username, (bu, role) in wanted.items():  # the plan's order
        if username in users and bu is not None:
            out[bu].setdefault(role, []).append(users[username])
    return out


def _process(bu: BusinessUnit, head: User, created: Counter[str]) -> SalesProcess:
    found = SalesProcess.objects.filter(business_unit=bu, name=PROCESS_NAME).first()
    if found is not None:
        return found
    stages = []
    for name, kind, probability, category, days, requirements in configuration.STANDARD_STAGES:
        playbook, checklist = PLAYBOOKS.get(name, ("", ()))
        stages.append(
            {
                "name": name,
                "kind": kind,
                "probability": probability,
                "forecast_category": category,
                "expected_days": days,
                "requirements": list(requirements),
                "playbook": playbook,
                "checklist": [
                    {"text": text.format(discovery=DISCOVERY.get(bu.code, "完成需求调研")), "required": required}
                    for text, required in checklist
                ],
            }
        )
    process = configuration.process_create(
        actor=head,
        business_unit=bu,
        name=PROCESS_NAME,
        stages=stages,
        description=PROCESS_DESCRIPTION,
        is_default=True,
    )
    created["sales processes"] += 1
    return process


def _short(name: str) -> str:
    for suffix in ("股份有限公司", "有限责任公司", "有限公司", "公司"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _quantity(price: Decimal, rng: random.Random) -> Decimal:
    if price >= 1_000_000:
        return Decimal(rng.randint(1, 2))
    if price >= 100_000:
        return Decimal(rng.randint(1, 6))
    if price >= 10_000:
        return Decimal(rng.randrange(5, 45, 5))
    return Decimal(rng.randrange(100, 2100, 100))


def _month(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


class _Rep:
    """One rep's opportunities: the plan from the rep's seeded stream, written through the services."""

    def __init__(self, rep: User, bu: BusinessUnit, ctx: dict[str, Any], created: Counter[str]) -> None:
        self.rep, self.bu, self.ctx, self.created = rep, bu, ctx, created
        self.rng = random.Random(f"{SEED}/{rep.username}")  # noqa: S311  (reproducible data, not secrets)
        self.stages = {s.name: s for s in ctx["process"].stages.all()}
        self.checklists = {s.name: [i for i in s.checklist.all() if i.required] for s in self.stages.values()}
        self.contacts: dict[int, list[tuple[Any, str]]] = {}

    def customer_contacts(self, customer: Any) -> list[tuple[Any, str]]:
        """The customer's contacts with a role each: the primary one decides; two more are added once."""
        if customer.pk not in self.contacts:
            from xietong.customers import services as customer_services
            from xietong.customers.models import Contact

            existing = list(Contact.objects.filter(customer=customer, merged_into__isnull=True).order_by("pk"))
            people = [(c, "decision_maker" if n == 0 else "influencer") for n, c in enumerate(existing)]
            for n, (name, title, role) in enumerate(EXTRA_CONTACTS[:2]):
                contact = customer_services.contact_create(
                    actor=self.rep,
                    customer=customer,
                    fields={"name": name, "title": title, "mobile": f"1371234{customer.pk % 1000:03d}{n}"},
                )
                self.created["contacts"] += 1
                people.append((contact, role))
            if people[0][1] != "decision_maker":  # a customer without a contact yet: the first one decides
                people[0] = (people[0][0], "decision_maker")
            self.contacts[customer.pk] = people
        return self.contacts[customer.pk]

    def lines(self, expected_close: date) -> list[dict[str, Any]]:
        products = self.ctx["products"]
        picked = self.rng.sample(products, k=min(len(products), self.rng.choice((1, 1, 2, 2, 3))))
        out = [
            {
                "product": p,
                "quantity": _quantity(p.list_price, self.rng),
                "discount": Decimal(self.rng.choice((0, 0, 3, 5, 8, 10))),
                "delivery_month": _month(expected_close, self.rng.randint(1, 3)),
            }
            for p in picked
        ]
        service = self.ctx["service"]
        if service is not None and self.rng.random() < 0.4:
            out.append({"product": service, "quantity": Decimal(self.rng.randint(3, 20)), "discount": Decimal(0)})
        return out

    def tick(self, opp: Opportunity, stage_name: str) -> None:
        for item in self.checklists[stage_name]:
            services.checklist_tick(actor=self.rep, opportunity=opp, item=item, done=True)

    def team(self, opp: Opportunity) -> None:
        ctx, rng = self.ctx, self.rng
        members: list[dict[str, Any]] = [
            {"user": self.rep, "role": TeamRole.SALES, "access": MemberAccess.EDIT, "split": Decimal(60)}
        ]
        extra = rng.choice(((ctx["supply"], TeamRole.SUPPLY), (ctx["production"], TeamRole.PRODUCTION)))
        shares: list[tuple[Any, str, str, int]] = [
            (ctx["presales"], TeamRole.PRESALES, MemberAccess.EDIT, 20),
            (extra[0], extra[1], MemberAccess.READ, 10),
            (ctx["finance"], TeamRole.FINANCE, MemberAccess.READ, 10),
        ]
        for user, role, access, split in shares:
            if user is None:
                members[0]["split"] += split
            else:
                members.append({"user": user, "role": role, "access": access, "split": Decimal(split)})
        services.team_set(actor=self.rep, opportunity=opp, members=members)
        self.created["deal teams"] += 1

    def opportunity(self, customer: Any, today: date) -> Opportunity:
        rng, rep = self.rng, self.rep
        outcome = rng.choices([o for o, _w in OUTCOMES], [w for _o, w in OUTCOMES])[0]
        reach = 4 if outcome == "won" else rng.randint(0, 3) if outcome == "lost" else int(outcome)
        products = self.ctx["products"]
        lead_product = rng.choice(products)
        overdue = outcome not in ("won", "lost") and rng.random() < 0.18
        close = today - timedelta(days=rng.randint(3, 25)) if overdue else today + timedelta(days=rng.randint(7, 120))
        family = (lead_product.category.name if lead_product.category else lead_product.product_line) or "设备"
        name = f"{_short(customer.name)} {family}{rng.choice(PROJECTS)}"
        estimate = (lead_product.list_price * _quantity(lead_product.list_price, rng)).quantize(Decimal("0.01"))
        opp = services.opportunity_create(
            actor=rep,
            customer=customer,
            name=name[:200],
            business_unit=self.bu,
            process=self.ctx["process"],
            source=rng.choice(SOURCES),
            amount=estimate,
            expected_close=close,
            competitors="、".join(rng.sample(COMPETITORS.get(self.bu.code, ("其他厂商",)), k=rng.randint(0, 2))),
            next_step=rng.choice(NEXT_STEPS),
            next_step_date=today + timedelta(days=rng.randint(1, 14)),
            description=f"{customer.name}的{family}需求，客户关注交期、售后响应与总拥有成本。",
        )
        self.created["opportunities"] += 1
        people = self.customer_contacts(customer)
        for step in range(1, reach + 1):
            self.tick(opp, OPEN_STAGES[step - 1])
            target = OPEN_STAGES[step]
            if target == "需求确认":
                chosen = people if reach >= 3 or rng.random() < 0.5 else people[1:] or people
                services.contacts_set(
                    actor=rep, opportunity=opp, contacts=[{"contact": c, "role": role} for c, role in chosen]
                )
                self.created["opportunity contacts"] += len(chosen)
            elif target == "方案报价":
                lines = self.lines(close)
                services.lines_set(actor=rep, opportunity=opp, lines=lines)
                self.created["opportunity lines"] += len(lines)
                if rng.random() < 0.4:
                    self.team(opp)
            services.opportunity_move(actor=rep, opportunity=opp, stage=self.stages[target])
        if outcome == "won":
            self.tick(opp, OPEN_STAGES[-1])
            services.opportunity_win(actor=rep, opportunity=opp, note=rng.choice(WON_NOTES))
            self.created["won"] += 1
        elif outcome == "lost":
            reason, note = rng.choice(LOST)
            competitors = COMPETITORS.get(self.bu.code, ("其他厂商",))
            services.opportunity_lose(
                actor=rep,
                opportunity=opp,
                reason=reason,
                lost_to=rng.choice(competitors) if reason == LostReason.COMPETITOR else "",
                note=note,
            )
            self.created["lost"] += 1
        return opp

    def backdate(self, opp: Opportunity, now: datetime) -> None:
        """Spread the history the services wrote "now" over the past months."""
        rng = self.rng
        opp.refresh_from_db()
        moves = list(StageMove.objects.filter(opportunity=opp).order_by("moved_at", "pk"))
        closed = opp.status != OpportunityStatus.OPEN
        stale = not closed and rng.random() < 0.2
        if closed:
            last = now - timedelta(days=rng.randint(1, 50), hours=rng.randint(0, 9))
            start = last - timedelta(days=rng.randint(20, 110))
        else:
            in_stage = (
                rng.randint(16, 50) if stale else rng.randint(30, 45) if rng.random() < 0.15 else rng.randint(1, 12)
            )
            last = now - timedelta(days=in_stage, hours=rng.randint(0, 9))
            start = last - timedelta(days=rng.randint(5, 25) * (len(moves) - 1))
        times = [start + (last - start) * n / max(len(moves) - 1, 1) for n in range(len(moves))]
        if len(moves) == 1:
            times = [last]
        previous = None
        for move, at in zip(moves, times, strict=True):
            move.moved_at = at
            move.seconds_in_from = int((at - previous).total_seconds()) if previous is not None else None
            previous = at
        StageMove.objects.bulk_update(moves, ["moved_at", "seconds_in_from"])
        if stale:
            activity = now - timedelta(days=rng.randint(15, in_stage), hours=rng.randint(0, 9))
        elif closed:
            activity = last
        else:
            activity = max(last, now - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 9)))
        changes: dict[str, Any] = {
            "created_at": times[0],
            "stage_entered_at": times[-1],
            "last_activity_at": activity,
            "updated_at": activity,
        }
        if closed:
            changes["closed_at"] = last
            if opp.status == OpportunityStatus.WON:
                changes["expected_close"] = timezone.localdate(last)
        Opportunity.objects.filter(pk=opp.pk).update(**changes)


def _load_bu(bu: BusinessUnit, people: dict[str, list[User]], created: Counter[str]) -> None:
    from xietong.catalog.models import Product
    from xietong.customers.demo import CUSTOMERS, SHARED
    from xietong.customers.models import Relationship

    heads = people.get("bu_head") or []
    if not heads:
        return
    process = _process(bu, heads[0], created)
    reps = people.get("sales_rep") or []
    if not reps or Opportunity.objects.filter(business_unit=bu, created_by__in=reps).exists():
        return
    products = list(
        Product.objects.filter(business_unit=bu, status="active").select_related("category").order_by("code")
    )
    if not products:
        return
    ctx: dict[str, Any] = {
        "process": process,
        "products": products,
        "service": Product.objects.filter(code="SV-INST").first(),
        **{
            key: next(iter(people.get(role) or []), None)
            for key, role in (
                ("presales", "presales"),
                ("supply", "supply_planner"),
                ("production", "production_planner"),
                ("finance", "finance"),
            )
        },
    }
    now = timezone.now()
    today = timezone.localdate(now)
    names = [spec[0] for specs in CUSTOMERS.values() for spec in specs] + [SHARED[0]]  # not the planted duplicates
    for rep in reps:
        customers = [
            rel.customer
            for rel in Relationship.objects.filter(
                owner=rep, business_unit=bu, customer__merged_into__isnull=True, customer__name__in=names
            )
            .select_related("customer")
            .order_by("pk")
        ]
        if not customers:
            continue
        writer = _Rep(rep, bu, ctx, created)
        for n in range(writer.rng.randint(4, 8)):
            opp = writer.opportunity(customers[n % len(customers)], today)
            writer.backdate(opp, now)


def load(created: Counter[str]) -> None:
    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in=BUS)}
    if not units:
        return
    people = _people(set(units))
    for code in BUS:
        if code in units:
            _load_bu(units[code], people[code], created)


register_demo_step(load)
