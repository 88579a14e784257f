"""The signed-in user's own pages: log in/out, home, profile, password, access tokens, language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xietong.core import modules
from xietong.core.choices import Action
from xietong.core.forms import posted, service_errors, show_once, take_once
from xietong.core.htmx import FORM_ID, done, next_url, page_view, render_form, render_page

from .. import selectors, services
from ..forms import LoginForm, PasswordForm, ProfileForm, TokenForm
from ..models import ACTION_FIELDS
from .records import actor


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "components/form_page.html"
    form_class = PasswordForm
    success_url = reverse_lazy("accounts:profile")
    extra_context = {
        "title": gettext_lazy("Change password"),
        "submit_label": gettext_lazy("Change password"),
        "cancel_url": reverse_lazy("accounts:profile"),
        "form_id": FORM_ID,
        "plain_form": True,
    }

    def form_valid(self, form: Any) -> HttpResponse:
        """Through the service (audited), not ``form.save()``; the session stays signed in."""
        with service_errors(form, fields={"password": "new_password1"}):
            services.user_change_own_password(actor=actor(self.request), password=form.cleaned_data["new_password1"])
        if not form.is_valid():
            return self.form_invalid(form)
        update_session_auth_hash(self.request, actor(self.request))
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()
password_change = PasswordChangeView.as_view()


@page_view
def my_access(request: HttpRequest) -> HttpResponse:
    """The user's own access: teams, roles, what the roles allow, and their recent changes."""
    user = actor(request)
    known = {m.code: m for m in modules.all_modules()}
    grants = sorted(
        user.access.grants,
        key=lambda g: (known[g.module].order if g.module in known else 10_000, g.module, g.role_name),
    )
    rows = [
        {
            "module": known[g.module].label if g.module in known else g.module,
            "scoped": known[g.module].scoped if g.module in known else True,
            "actions": [Action(a).label for a in ACTION_FIELDS if a in g.actions],
            "scope": g.scope,
            "role": g.role_name,
            "business_unit": g.business_unit_name,
        }
        for g in grants
    ]
    return render_page(
        request,
        "org/my_access.html",
        {
            "memberships": selectors.user_memberships(target=user),
            "user_roles": selectors.user_roles(target=user),
            "grant_rows": rows,
            "recent": selectors.audit_list(user=user, actor_id=user.pk)[:10],
        },
    )


@page_view
def profile(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    fields = ("display_name", "email", "mobile", "title", "language", "email_notifications")
    initial = {name: getattr(user, name) for name in fields}
    form = ProfileForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.user_update(actor=user, user=user, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("Your profile has been saved."))
            return done(request, reverse("accounts:profile"))
    return render_form(
        request,
        form,
        title=_("My profile"),
        cancel_url=reverse("home"),
        intro=_("Signed in as %(username)s.") % {"username": user.get_username()},
    )


@page_view
def tokens(request: HttpRequest) -> HttpResponse:
    """Personal access tokens for the API: list, create (the token is shown once), revoke."""
    form = TokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            _token, raw = services.token_create(actor=actor(request), **form.cleaned_data)
        if form.is_valid():
            show_once(request, "token", raw)
            return done(request, reverse("accounts:tokens"))
    return render_page(
        request,
        "org/tokens.html",
        {
            "form": form,
            "form_id": FORM_ID,
            "tokens": selectors.token_list(user=actor(request)),
            "new_token": take_once(request, "token") if request.method == "GET" else None,
        },
        fragments={FORM_ID: "form"},
    )


@page_view
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = services.token_revoke(actor=actor(request), token_id=pk)
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return done(request, reverse("accounts:tokens"))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Save the chosen language on the user (and in the language cookie for the login page)."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    back = next_url(request, reverse("home"))
    if request.user.is_authenticated:
        services.user_set_language(actor=actor(request), language=language)
    response = HttpResponseRedirect(back, status=303)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
