"""Connection pages: thin views that validate input and call the services.

Every view is `finance_required`: support staff may look (GET) but not change (403), anonymous
users go to the login page. Django's CSRF middleware guards every POST.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.connections import services
from integrations.connections.access import connection_members
from integrations.connections.errors import ConnectionSetupError
from integrations.connections.forms import (
    BranchForm,
    ConnectionCreateForm,
    PleoConnectForm,
    VismaTenantForm,
)
from integrations.connections.models import Connection, PendingOAuth
from integrations.connections.selectors import connection_list
from integrations.connections.token_health import token_health
from integrations.core import errors
from integrations.core.access import connection_member_required
from integrations.core.guidance import saved_message
from integrations.core.roles import finance_required, is_finance
from integrations.visma.types import Branch

logger = logging.getLogger(__name__)

# The setup overview's names of the steps these pages save (the "Next:" link follows them).
STEP_PLEO = "Pleo connected"
STEP_VISMA = "Visma.net connected"
STEP_BRANCH = "Branch chosen"
STEP_CHECK = "Permission check"


def _detail_url(connection: Connection) -> str:
    return reverse("connections:detail", args=[connection.pk])


@finance_required
@require_http_methods(["GET", "POST"])
def connection_list_view(request: HttpRequest) -> HttpResponse:
    form = ConnectionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(
                name=form.cleaned_data["name"], created_by=request.user
            )
        except ConnectionSetupError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, f"Connection “{connection.name}” created.")
            return redirect(_detail_url(connection))
    return render(
        request,
        "connections/list.html",
        {"connections": connection_list(user=request.user), "form": form},
        status=400 if form.errors else 200,
    )


@finance_required
@require_GET
def connection_list_box_view(request: HttpRequest) -> HttpResponse:
    """The connections table alone: the Connections page asks for it every few seconds."""
    return render(
        request, "connections/_list_box.html", {"connections": connection_list(user=request.user)}
    )


def _branches(request: HttpRequest, connection: Connection) -> list[Branch]:
    if not connection.visma_connected:
        return []
    try:
        return services.visma_branches_list(connection=connection)
    except errors.ApiError as exc:
        messages.error(request, f"Visma.net did not list the branches: {exc.message}")
        return []


def _detail(
    request: HttpRequest,
    connection: Connection,
    *,
    checks: list[services.CheckLine] | None = None,
    status: int = 200,
    **forms: object,
) -> HttpResponse:
    branches = _branches(request, connection) if "branch_form" not in forms else []
    last_check = (
        None if checks is not None else services.permission_check_last(connection=connection)
    )
    context = {
        "connection": connection,
        "checks": checks if checks is not None else (last_check.lines if last_check else None),
        "last_check": last_check,
        "pleo_form": forms.get("pleo_form")
        or PleoConnectForm(initial={"company_id": connection.pleo_company_id}),
        "visma_form": forms.get("visma_form")
        or VismaTenantForm(initial={"tenant_id": connection.visma_tenant_id}),
        "branch_form": forms.get("branch_form")
        or BranchForm(branches=branches, initial={"branch_number": connection.visma_branch_number}),
        "events": connection.events.select_related("by")[:20],
        "members": connection_members(connection=connection),
        "tokens": token_health(connection=connection),
    }
    return render(request, "connections/detail.html", context, status=status)


@connection_member_required
@finance_required
@require_GET
def connection_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Connection, pk=pk))


@connection_member_required
@finance_required
@require_http_methods(["GET", "POST"])
def connection_check_view(request: HttpRequest, pk: int) -> HttpResponse:
    # The check calls both services and records its outcome: only a POST runs it; a GET shows
    # the last result.
    connection = get_object_or_404(Connection, pk=pk)
    if request.method != "POST":
        return _detail(request, connection)
    checks = services.connection_permission_check(connection=connection, by=request.user)
    if all(line.ok or line.manual for line in checks):
        messages.success(
            request,
            saved_message(
                "The permission check passed.", connection_id=connection.pk, after=STEP_CHECK
            ),
        )
    return _detail(request, connection, checks=checks)


@connection_member_required
@finance_required
@require_POST
def pleo_connect_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    form = PleoConnectForm(request.POST)
    if not form.is_valid():
        return _detail(request, connection, pleo_form=form, status=400)
    url = services.pleo_connect_start(
        connection=connection, request=request, company_id=form.cleaned_data["company_id"]
    )
    return HttpResponseRedirect(url)


@connection_member_required
@finance_required
@require_POST
def visma_service_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    form = VismaTenantForm(request.POST)
    if form.is_valid():
        try:
            services.visma_connect_service(
                connection=connection, tenant_id=form.cleaned_data["tenant_id"], by=request.user
            )
        except ConnectionSetupError as exc:
            form.add_error("tenant_id", exc.message)
        else:
            messages.success(
                request,
                saved_message(
                    "Visma.net is connected.",
                    connection_id=connection.pk,
                    after=STEP_VISMA,
                ),
            )
            return redirect(_detail_url(connection))
    connection.refresh_from_db()
    return _detail(request, connection, visma_form=form, status=400)


@connection_member_required
@finance_required
@require_POST
def visma_interactive_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    form = VismaTenantForm(request.POST)
    if form.is_valid():
        try:
            url = services.visma_connect_interactive_start(
                connection=connection, request=request, tenant_id=form.cleaned_data["tenant_id"]
            )
        except ConnectionSetupError as exc:
            form.add_error("tenant_id", exc.message)
        else:
            return HttpResponseRedirect(url)
    return _detail(request, connection, visma_form=form, status=400)


@connection_member_required
@finance_required
@require_POST
def branch_choose_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    branches = _branches(request, connection)
    form = BranchForm(request.POST, branches=branches)
    if form.is_valid():
        try:
            services.visma_branch_choose(
                connection=connection,
                branch_number=form.cleaned_data["branch_number"],
                by=request.user,
            )
        except ConnectionSetupError as exc:
            form.add_error("branch_number", exc.message)
        else:
            messages.success(
                request,
                saved_message("Branch saved.", connection_id=connection.pk, after=STEP_BRANCH),
            )
            return redirect(_detail_url(connection))
    return _detail(request, connection, branch_form=form, status=400)


@connection_member_required
@finance_required
@require_http_methods(["GET", "POST"])
def disconnect_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the box to confirm the disconnection.")
            return render(
                request, "connections/disconnect.html", {"connection": connection}, status=400
            )
        services.connection_disconnect(connection=connection, by=request.user)
        messages.success(
            request,
            f"“{connection.name}” is disconnected. Its tokens are deleted; its settings and "
            "history are kept.",
        )
        return redirect(_detail_url(connection))
    return render(request, "connections/disconnect.html", {"connection": connection})


def _oauth_callback(request: HttpRequest, provider: str) -> HttpResponse:
    # The provider sends the user back with a GET, but it changes the setup: finance only.
    if not is_finance(request.user):
        raise PermissionDenied("Only finance staff can connect systems.")
    state = request.GET.get("state", "")
    error = request.GET.get("error", "")
    label = "Pleo" if provider == PendingOAuth.Provider.PLEO else "Visma.net"
    try:
        if error:
            pending = services.pending_oauth_claim(
                state=state, provider=provider, user=request.user
            )
            description = request.GET.get("error_description") or error
            messages.error(request, f"{label} sign-in was not completed: {description}.")
            return redirect(_detail_url(pending.connection))
        finish = (
            services.pleo_connect_finish
            if provider == PendingOAuth.Provider.PLEO
            else services.visma_connect_interactive_finish
        )
        connection = finish(state=state, code=request.GET.get("code", ""), user=request.user)
    except services.OAuthStateError as exc:
        messages.error(request, exc.message)
        return redirect("connections:list")
    except ConnectionSetupError as exc:
        messages.error(request, exc.message)
        pending_row = PendingOAuth.objects.filter(state=state).select_related("connection").first()
        if pending_row is None:
            return redirect("connections:list")
        return redirect(_detail_url(pending_row.connection))
    step = STEP_PLEO if provider == PendingOAuth.Provider.PLEO else STEP_VISMA
    messages.success(
        request, saved_message(f"{label} is connected.", connection_id=connection.pk, after=step)
    )
    return redirect(_detail_url(connection))


@finance_required
@require_GET
def pleo_callback_view(request: HttpRequest) -> HttpResponse:
    return _oauth_callback(request, PendingOAuth.Provider.PLEO)


@finance_required
@require_GET
def visma_callback_view(request: HttpRequest) -> HttpResponse:
    return _oauth_callback(request, PendingOAuth.Provider.VISMA)
