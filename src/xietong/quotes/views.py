"""Quote and price-book pages: the quote list (filters, pages), a quote (lines, totals, versions, the
approval panel, actions), the editor (fields and lines in one form), new version, compare, PDF,
submit / send / accept / reject; price books with their entries. Thin: parse → service → render."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.components import annotate_lines, history_panel, why_panel
from xietong.core.errors import Conflict, NotFound
from xietong.core.forms import RowChoices, blank_rows, chosen_keys, kept_rows, posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import paginate
from xietong.core.params import as_int
from xietong.org.policies import require

from . import money, pricing, selectors, services
from .choices import QuoteStatus
from .forms import (
    NEW_ROWS,
    DecisionForm,
    EntryForm,
    PriceBookForm,
    QuoteEmailForm,
    QuoteFilterForm,
    QuoteForm,
    QuoteLineFormSet,
)
from .models import PriceBook, PriceBookEntry, Quote

MODULE = services.MODULE
EXTRA_ROWS = 3


def _url(quote: Quote) -> str:
    return reverse("quotes:detail", args=[quote.pk])


def _crumbs(quote: Quote | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Quotes"), reverse("quotes:list"))]
    if quote is not None:
        crumbs.append((f"{quote.number} v{quote.version}", _url(quote)))
    return crumbs


_LINE_KEY = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


def _without_label(text: str, n: int) -> str:
    """A service's message of line ``n`` without its "Line n: " (the editor names the row itself)."""
    label = _("Line %(n)s") % {"n": n}
    if not text.startswith(label):
        return text
    bare = text[len(label) :].lstrip(":： ")
    return bare[:1].upper() + bare[1:]


def _line_errors(
    errors: dict[str, list[str]], formset: Any, rows: list[Any]
) -> tuple[list[tuple[Any, str, str, int]], list[str]]:
    """The service's errors of lines (``lines[n].field``, ``n`` counting only the rows sent, not those
    removed) as ``(row, field, text, number of the row on screen)``, the text without the service's
    "Line n"; and the texts of the other errors."""
    placed, rest = [], []
    for key, texts in errors.items():
        match = _LINE_KEY.match(key)
        n = int(match[1]) if match else 0
        if match is None or not 1 <= n <= len(rows):
            rest += texts
            continue
        screen = formset.forms.index(rows[n - 1]) + 1
        placed += [(rows[n - 1], match[2], _without_label(text, n), screen) for text in texts]
    return placed, rest


def _row_label(n: int) -> str:
    return _("Row %(n)s") % {"n": n}


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- the list -------------------------------------------------------------------------------------------


@page_view
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    form = QuoteFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.quote_list(
        user=user,
        status=data.get("status") or "all",
        owner=data.get("owner"),
        customer=data.get("customer"),
        opportunity=data.get("opportunity"),
        q=data.get("q") or "",
    )
    if getattr(request, "htmx", False) and request.htmx.target == "customer-quotes":  # type: ignore[attr-defined]
        items = list(rows[:11])
        return render(
            request,
            "quotes/customer_tab.html#rows",
            {"rows": items[:10], "more": len(items) > 10, "customer_id": data.get("customer")},
        )
    context = {
        "form": form,
        "results_id": "quote-results",
        "breadcrumbs": [],
        **paginate(request, rows),
    }
    return render_page(request, "quotes/list.html", context, fragments={"quote-results": "results"})


# --- create and edit ----------------------------------------------------------------------------------------


def _books(quote_bu: int) -> Any:
    return pricing.usable_books_any_channel(business_unit_id=quote_bu, on=timezone.localdate())


def _contacts(customer_id: int) -> Any:
    from xietong.customers.models import Contact

    return Contact.objects.filter(customer_id=customer_id, merged_into__isnull=True).order_by("-is_primary", "name")


@page_view
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest) -> HttpResponse:
    from xietong.pipeline.models import Opportunity

    user: Any = request.user
    require(user, MODULE, "create")
    given = request.GET.get("opportunity", "")
    opp = Opportunity.objects.visible_to(user).filter(pk=as_int(given, 0)).first()
    if opp is None:
        raise NotFound()
    book = services.default_book(opp.business_unit_id, timezone.localdate())
    form = QuoteForm(
        posted(request),
        initial={"title": _("Quote for %(opportunity)s") % {"opportunity": opp.name}, "price_book": book},
        books=_books(opp.business_unit_id),
        contacts=_contacts(opp.customer_id),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quote = None
        with service_errors(form):
            quote = services.quote_create(
                actor=user,
                opportunity=opp,
                title=data["title"],
                price_book=data["price_book"],
                contact=data["contact"],
                valid_until=data["valid_until"],
                terms=data["terms"],
                notes=data["notes"],
                lines=None if request.POST.get("from_opportunity", "1") == "1" else [],
            )
        if quote is not None and form.is_valid():
            messages.success(request, _("Quote %(number)s created.") % {"number": quote.number})
            skipped = getattr(quote, "skipped_products", [])
            if skipped:
                messages.warning(
                    request, _("Left out, no longer on sale: %(products)s.") % {"products": "、".join(skipped)}
                )
            return done(request, reverse("quotes:edit", args=[quote.pk]))
    return render_form(
        request,
        form,
        title=_("New quote"),
        cancel_url=reverse("pipeline:opportunity_detail", args=[opp.pk]),
        submit_label=_("Create"),
        intro=_("For %(opportunity)s · %(customer)s. The lines start from the opportunity's product lines.")
        % {"opportunity": opp.name, "customer": opp.customer},
        context={"breadcrumbs": _crumbs()},
    )


def _for_edit(request: HttpRequest, pk: int) -> Quote:
    quote = selectors.quote_get(user=request.user, pk=pk)
    require(request.user, MODULE, "edit")
    if not selectors.can_edit(request.user, quote):
        raise PermissionDenied(_("You may not change this quote."))
    return quote


@page_view
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The quote's fields and its lines in one form. In approval (or later): the page says why and
    saves nothing."""
    from xietong.catalog.models import Product

    quote = _for_edit(request, pk)
    user: Any = request.user
    current = list(quote.lines.select_related("product"))
    # a line at its price book's price shows that price as a hint and stays blank, so a quantity
    # crossing a volume tier (or another book) prices it again; a price someone typed stays
    book_prices = pricing.prices(
        quote.price_book, [(line.product, line.quantity) for line in current], customer_id=quote.customer_id
    )
    products = (
        Product.objects.visible_to(user).on_sale()
        | Product.objects.filter(pk__in=[line.product_id for line in current])
    ).order_by("code")
    form = QuoteForm(
        posted(request),
        initial={
            "title": quote.title,
            "price_book": quote.price_book_id,
            "contact": quote.contact_id,
            "valid_until": quote.valid_until,
            "terms": quote.terms,
            "notes": quote.notes,
        },
        books=_books(quote.business_unit_id) | PriceBook.objects.filter(pk=quote.price_book_id or 0),
        contacts=_contacts(quote.customer_id),
    )
    initial = [
        {
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": None if line.unit_price == book_price else line.unit_price,
            "discount_kind": line.discount_kind,
            "discount_value": line.discount_value,
            "tax_rate": line.tax_rate,
            "delivery_month": line.delivery_month,
            "description": line.description,
        }
        for line, book_price in zip(current, book_prices, strict=True)
    ]
    chosen = chosen_keys("product", prefix="lines", initial=initial, data=posted(request))
    formset = QuoteLineFormSet(
        posted(request), prefix="lines", initial=initial, form_kwargs={"products": RowChoices(products, chosen=chosen)}
    )
    if request.method == "GET":
        formset.extra = blank_rows(request, default=EXTRA_ROWS, limit=NEW_ROWS)
    for row, book_price in zip(formset.forms, book_prices, strict=False):  # after ``extra``: forms are made once
        row.fields["unit_price"].widget.attrs["placeholder"] = f"{book_price:.2f}"
    locked = services.lock_reason(quote)
    errors: list[str] = []
    status = 200
    preview = None
    if request.method == "POST" and request.POST.get("preview"):
        preview = _preview(request, quote, form, formset)
    elif request.method == "POST" and locked:  # in approval (or frozen): refused whatever was posted
        errors.append(locked)
        status = 409
    elif request.method == "POST" and form.is_valid() and formset.is_valid():
        rows = kept_rows(formset)
        data = form.cleaned_data
        try:
            services.quote_update(
                actor=user,
                quote=quote,
                lines=[f.service_row() for f in rows],
                title=data["title"] or quote.title,
                price_book=data["price_book"],
                contact=data["contact"],
                valid_until=data["valid_until"],
                terms=data["terms"],
                notes=data["notes"],
            )
        except Conflict as exc:
            errors.append(str(exc))
            status = 409
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # a refusal of no field
                errors.extend(exc.messages)
            else:
                of_rows = {}
                for field, texts in exc.message_dict.items():
                    if field in form.fields:
                        for text in texts:
                            form.add_error(field, text)
                    else:
                        of_rows[field] = texts
                placed, rest = _line_errors(of_rows, formset, rows)
                for row, name, text, screen in placed:
                    if name in row.fields:  # under the field; the summary names its row (on screen)
                        row.add_error(name, text)
                    else:
                        errors.append(f"{_row_label(screen)}: {text}")
                errors.extend(rest)
        else:
            messages.success(request, _("The quote has been saved."))
            return done(request, _url(quote))
    return render_page(
        request,
        "quotes/quote_edit.html",
        {
            "quote": quote,
            "form": form,
            "formset": formset,
            "errors": errors,
            "locked": locked,
            "title": _("Edit %(number)s v%(version)s") % {"number": quote.number, "version": quote.version},
            "cancel_url": _url(quote),
            "breadcrumbs": _crumbs(quote),
            "more_rows_url": f"{request.path}?rows={EXTRA_ROWS + 10}",
            "preview": preview or Preview(totals=services.totals_of(quote)),
        },
        fragments={"quote-editor": "editor", "quote-preview": "preview"},
        status=status,
    )


@dataclass
class Preview:
    """The editor's running totals: of what the user typed, or the reasons they cannot be computed."""

    totals: Any = None
    problems: list[str] = field(default_factory=list)


def _preview(request: HttpRequest, quote: Quote, form: Any, formset: Any) -> Preview:
    """The totals of the lines as typed (the editor asks on every change; nothing is saved)."""
    if not (form.is_valid() and formset.is_valid()):
        problems = [f"{bound.label}: {error}" for bound in form for error in bound.errors]
        for n, row in enumerate(formset.forms, start=1):
            problems += [f"{_row_label(n)}: {error}" for fld in row for error in fld.errors]
        return Preview(problems=problems or [str(e) for e in formset.non_form_errors()])
    rows = kept_rows(formset)
    try:
        totals = services.quote_preview(
            actor=request.user,
            quote=quote,
            lines=[f.service_row() for f in rows],
            price_book=form.cleaned_data["price_book"],
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            return Preview(problems=list(exc.messages))
        placed, rest = _line_errors(exc.message_dict, formset, rows)
        return Preview(problems=[f"{_row_label(screen)}: {text}" for _row, _name, text, screen in placed] + rest)
    return Preview(totals=totals)


# --- the quote page -----------------------------------------------------------------------------------


@page_view
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    quote = selectors.quote_get(user=user, pk=pk)
    editable = selectors.can_edit(user, quote)
    lines = list(quote.lines.all())
    annotate_lines(user, lines, timezone.localdate())
    context = {
        "quote": quote,
        "record": quote,
        "lines": lines,
        "versions": selectors.versions_of(user=user, quote=quote),
        "can_edit": editable,
        "lock_reason": services.lock_reason(quote),
        "total_in_words": money.in_words(quote.total) if quote.currency == "CNY" else "",
        "total_cny": money.to_cny(quote.total, quote.exchange_rate) if quote.currency != "CNY" else None,
        "breadcrumbs": _crumbs(),
        "why_url": reverse("quotes:why", args=[quote.pk]),
        **history_panel(quote, url=reverse("quotes:history", args=[quote.pk])),
    }
    return render_page(request, "quotes/quote_detail.html", context)


@page_view
@require_GET
def quote_history(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    offset = request.GET.get("offset", "0")
    context = history_panel(quote, url=reverse("quotes:history", args=[pk]), offset=as_int(offset, 0))
    return render(request, "components/history.html#entries", context)


@page_view
@require_GET
def quote_why(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    return render(request, "components/why.html", why_panel(request.user, quote))


@page_view
@require_GET
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from .pdf import pdf_response

    return pdf_response(selectors.quote_get(user=request.user, pk=pk))


def _act(request: HttpRequest, pk: int, service: Any, success: str, **kwargs: Any) -> HttpResponse:
    quote = _for_edit(request, pk)
    try:
        result = service(actor=request.user, quote=quote, **kwargs)
    except (Conflict, ValidationError) as exc:
        messages.error(request, _refusal(exc))
        return done(request, _url(quote))
    messages.success(request, success)
    return done(request, _url(result if isinstance(result, Quote) else quote))


@page_view
@require_POST
def quote_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.quote_submit, _("The quote has been submitted."))


@page_view
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.quote_send, _("The quote is marked as sent."))


@page_view
@require_http_methods(["GET", "POST"])
def quote_email(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail the quote's PDF to the customer (an approved or sent quote); it is marked sent."""
    from . import mailing

    quote = _for_edit(request, pk)
    if quote.status not in (QuoteStatus.APPROVED, QuoteStatus.SENT):
        messages.error(request, _("Only an approved quote is sent to the customer."))
        return done(request, _url(quote))
    user: Any = request.user
    form = QuoteEmailForm(
        posted(request),
        initial={
            "to": mailing.default_recipient(quote),
            "cc": user.email,
            "subject": mailing.default_subject(quote),
            "message": mailing.default_message(quote, user),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sent = None
        with service_errors(form):
            sent = mailing.quote_email(actor=user, quote=quote, **data)
        if sent is not None and form.is_valid():
            messages.success(request, _("The quote is being e-mailed to %(to)s.") % {"to": data["to"]})
            return done(request, _url(quote))
    return render_form(
        request,
        form,
        title=_("E-mail %(number)s to the customer") % {"number": f"{quote.number} v{quote.version}"},
        cancel_url=_url(quote),
        submit_label=_("Send"),
        intro=_("The quote's PDF is attached; replies go to your address. The quote is marked as sent."),
        context={"breadcrumbs": _crumbs(quote)},
    )


@page_view
@require_POST
def quote_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _for_edit(request, pk)
    try:
        copy = services.quote_new_version(actor=request.user, quote=quote)
    except (Conflict, ValidationError) as exc:
        messages.error(request, _refusal(exc))
        return done(request, _url(quote))
    messages.success(request, _("Version %(v)s made: change it and submit it.") % {"v": copy.version})
    return done(request, reverse("quotes:edit", args=[copy.pk]))


def _decision(request: HttpRequest, pk: int, *, accept: bool) -> HttpResponse:
    quote = _for_edit(request, pk)
    form = DecisionForm(posted(request), initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = None
        with service_errors(form):
            service = services.quote_accept if accept else services.quote_reject
            saved = service(actor=request.user, quote=quote, decided_on=data["decided_on"], note=data["note"])
        if saved is not None and form.is_valid():
            messages.success(
                request,
                _("The customer's acceptance is recorded.") if accept else _("The customer's rejection is recorded."),
            )
            return done(request, _url(quote))
    return render_form(
        request,
        form,
        title=(_("Customer accepted %(number)s") if accept else _("Customer rejected %(number)s"))
        % {"number": f"{quote.number} v{quote.version}"},
        cancel_url=_url(quote),
        submit_label=_("Accepted") if accept else _("Rejected"),
        intro=_("The quote's lines become the opportunity's product lines.") if accept else None,
        context={"breadcrumbs": _crumbs(quote)},
    )


@page_view
@require_http_methods(["GET", "POST"])
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, accept=True)


@page_view
@require_http_methods(["GET", "POST"])
def quote_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, accept=False)


@page_view
@require_GET
def quote_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """This version against another (``?with=``; default: the version before it, or for the first
    version the one after it), read from the older version to the newer."""
    user: Any = request.user
    quote = selectors.quote_get(user=user, pk=pk)
    versions = selectors.versions_of(user=user, quote=quote)
    given = as_int(request.GET.get("with", ""), None)
    if given is not None:
        other = Quote.objects.visible_to(user).filter(pk=given).first()
        if other is None:
            raise NotFound()
    else:
        earlier = [v for v in versions if v.version < quote.version]  # newest first
        later = [v for v in versions if v.version > quote.version]
        other = earlier[0] if earlier else (later[-1] if later else None)
    comparison = None
    if other is not None:
        old, new = sorted((other, quote), key=lambda q: (q.version, q.pk))
        comparison = selectors.compare(old, new)
    return render_page(
        request,
        "quotes/quote_compare.html",
        {
            "quote": quote,
            "other": other,
            "versions": versions,
            "comparison": comparison,
            "breadcrumbs": _crumbs(quote),
        },
    )


# --- price books ---------------------------------------------------------------------------------------


def _book_url(book: PriceBook) -> str:
    return reverse("quotes:price_book_detail", args=[book.pk])


def _book_crumbs() -> list[tuple[str, str]]:
    return [(_("Price books"), reverse("quotes:price_books"))]


def _administered_units(user: Any) -> Any:
    from xietong.org.models import BusinessUnit

    units = BusinessUnit.objects.filter(is_active=True).order_by("name")
    return units.filter(pk__in=[bu.pk for bu in units if services.may_administer(user, bu)])


@page_view
@require_GET
def price_book_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    active = request.GET.get("active", "yes")
    rows = selectors.price_book_list(user=user, active=active)
    return render_page(
        request,
        "quotes/price_book_list.html",
        {"active": active, "may_create": user.access.can(MODULE, "administer"), **paginate(request, rows)},
    )


@page_view
@require_GET
def price_book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    book = selectors.price_book_get(user=user, pk=pk)
    entries = selectors.entries_of(user=user, book=book)
    return render_page(
        request,
        "quotes/price_book_detail.html",
        {
            "book": book,
            "record": book,
            "may_administer": selectors.may_administer_book(user, book),
            "breadcrumbs": _book_crumbs(),
            **paginate(request, entries, per_page=100),
        },
    )


def _book_form(request: HttpRequest, book: PriceBook | None) -> HttpResponse:
    user: Any = request.user
    initial: dict[str, Any] = {"valid_from": timezone.localdate(), "business_unit": user.business_unit_id}
    if book is not None:
        initial = {name: getattr(book, name) for name in services.BOOK_FIELDS}
    form = PriceBookForm(posted(request), initial=initial, business_units=_administered_units(user))
    if request.method == "POST" and form.is_valid():
        saved = None
        with service_errors(form, denied=True):
            if book is None:
                saved = services.price_book_create(actor=user, **form.cleaned_data)
            else:
                saved = services.price_book_update(actor=user, price_book=book, **form.cleaned_data)
        if saved is not None and form.is_valid():
            messages.success(request, _("The price book has been saved."))
            return done(request, _book_url(saved))
    return render_form(
        request,
        form,
        title=_("New price book") if book is None else _("Edit %(name)s") % {"name": book},
        cancel_url=_book_url(book) if book else reverse("quotes:price_books"),
        context={"breadcrumbs": _book_crumbs()},
    )


@page_view
@require_http_methods(["GET", "POST"])
def price_book_create(request: HttpRequest) -> HttpResponse:
    require(request.user, MODULE, "administer")
    return _book_form(request, None)


def _book_for_admin(request: HttpRequest, pk: int) -> PriceBook:
    book = selectors.price_book_get(user=request.user, pk=pk)
    if not selectors.may_administer_book(request.user, book):
        raise PermissionDenied(_("You may not change this price book."))
    return book


@page_view
@require_http_methods(["GET", "POST"])
def price_book_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _book_form(request, _book_for_admin(request, pk))


def _entry_form(request: HttpRequest, book: PriceBook, entry: PriceBookEntry | None) -> HttpResponse:
    from xietong.catalog.models import Product
    from xietong.customers.models import Customer

    user: Any = request.user
    initial: dict[str, Any] = {"min_quantity": 1}
    if entry is not None:
        initial = {
            "product": entry.product_id,
            "customer": entry.customer_id,
            "min_quantity": entry.min_quantity,
            "unit_price": entry.unit_price,
        }
    customers = Customer.objects.visible_to(user).order_by("name")
    form = EntryForm(
        posted(request),
        initial=initial,
        products=Product.objects.visible_to(user).order_by("code"),
        customers=customers,
    )
    if request.method == "POST" and form.is_valid():
        saved = None
        with service_errors(form):
            if entry is None:
                saved = services.entry_create(actor=user, price_book=book, **form.cleaned_data)
            else:
                saved = services.entry_update(actor=user, price_book=book, entry=entry, **form.cleaned_data)
        if saved is not None and form.is_valid():
            messages.success(request, _("The price has been saved."))
            return done(request, _book_url(book))
    return render_form(
        request,
        form,
        title=_("Price in %(book)s") % {"book": book},
        cancel_url=_book_url(book),
        intro=_("A price from a quantity on (volume tier); with a customer, for that customer only."),
        context={"breadcrumbs": _book_crumbs()},
    )


@page_view
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_form(request, _book_for_admin(request, pk), None)


def _entry(request: HttpRequest, book: PriceBook, entry_pk: int) -> PriceBookEntry:
    return selectors.entry_get(user=request.user, book=book, pk=entry_pk)


@page_view
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    book = _book_for_admin(request, pk)
    return _entry_form(request, book, _entry(request, book, entry_pk))


@page_view
@require_POST
def entry_delete(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    book = _book_for_admin(request, pk)
    services.entry_delete(actor=request.user, price_book=book, entry=_entry(request, book, entry_pk))
    messages.success(request, _("The price has been removed."))
    return done(request, _book_url(book))


urlpatterns = [
    path("quotes/", quote_list, name="list"),
    path("quotes/new/", quote_create, name="create"),
    path("quotes/<int:pk>/", quote_detail, name="detail"),
    path("quotes/<int:pk>/edit/", quote_edit, name="edit"),
    path("quotes/<int:pk>/history/", quote_history, name="history"),
    path("quotes/<int:pk>/why/", quote_why, name="why"),
    path("quotes/<int:pk>/pdf/", quote_pdf, name="pdf"),
    path("quotes/<int:pk>/submit/", quote_submit, name="submit"),
    path("quotes/<int:pk>/send/", quote_send, name="send"),
    path("quotes/<int:pk>/email/", quote_email, name="email"),
    path("quotes/<int:pk>/versions/", quote_new_version, name="new_version"),
    path("quotes/<int:pk>/accept/", quote_accept, name="accept"),
    path("quotes/<int:pk>/reject/", quote_reject, name="reject"),
    path("quotes/<int:pk>/compare/", quote_compare, name="compare"),
    path("price-books/", price_book_list, name="price_books"),
    path("price-books/new/", price_book_create, name="price_book_create"),
    path("price-books/<int:pk>/", price_book_detail, name="price_book_detail"),
    path("price-books/<int:pk>/edit/", price_book_edit, name="price_book_edit"),
    path("price-books/<int:pk>/entries/new/", entry_create, name="entry_create"),
    path("price-books/<int:pk>/entries/<int:entry_pk>/edit/", entry_edit, name="entry_edit"),
    path("price-books/<int:pk>/entries/<int:entry_pk>/delete/", entry_delete, name="entry_delete"),
]
