"""The export settings page. It lives with the setup pages because it judges by the Visma.net
mirror: opening or saving it refreshes the payment methods (and, for purchase invoices, the cash
accounts) from Visma.net into the mirror, then the one validation of the settings judges by the
mirror, as the JSON API and the setup overview do. Its address stays under the connection
(`connections:export_settings`, wired in config/urls.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from integrations.connections.forms import ExportSettingsForm
from integrations.connections.history import history_entries
from integrations.connections.models import Connection, ExportSettings
from integrations.core import errors
from integrations.core.access import connection_member_required
from integrations.core.guidance import saved_message
from integrations.core.roles import finance_required
from integrations.masterdata.setup.export_settings import (
    export_settings_facts_refresh,
    export_settings_save,
    mirrored_payment_methods,
)

# The setup overview's name of the step this page saves (the "Next:" link follows it).
STEP_EXPORT_SETTINGS = "Export settings saved"


@connection_member_required
@finance_required
@require_http_methods(["GET", "POST"])
def export_settings_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    current, _ = ExportSettings.objects.get_or_create(connection=connection)
    invoices_on = (
        request.POST.get("card_expenses_as_invoices") in ("on", "true", "1")
        if request.method == "POST"
        else current.card_expenses_as_invoices
    )
    methods_error = ""
    if connection.visma_connected:
        # "Refresh from Visma.net": the lists the rules judge by, read into the mirror. The
        # cash accounts matter only when saving with purchase invoices on.
        unread = export_settings_facts_refresh(
            connection=connection,
            invoices=request.method == "POST" and invoices_on,
            always=True,
        )
        methods_error = unread.get("payment_methods", "")
    else:
        methods_error = "Connect Visma.net to choose a payment method."
    payment_methods = mirrored_payment_methods(connection=connection) or []
    initial = {
        "transfer_attachments": current.transfer_attachments,
        "one_journal_per_export": current.one_journal_per_export,
        "card_expenses_as_invoices": current.card_expenses_as_invoices,
        "auto_release_invoices": current.auto_release_invoices,
        "invoice_payment_method": current.invoice_payment_method,
        "closed_period_policy": current.closed_period_policy,
        "export_concurrency": current.export_concurrency,
    }
    form = ExportSettingsForm(
        request.POST or None,
        initial=initial,
        payment_methods=payment_methods,
        invoices_on=invoices_on,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                export_settings_save(
                    connection=connection,
                    by=request.user,
                    values={
                        "transfer_attachments": data["transfer_attachments"],
                        "one_journal_per_export": data["one_journal_per_export"],
                        "card_expenses_as_invoices": data["card_expenses_as_invoices"],
                        "auto_release_invoices": data["auto_release_invoices"],
                        "invoice_payment_method": data["invoice_payment_method"] or "",
                        "closed_period_policy": data["closed_period_policy"],
                        "export_concurrency": data["export_concurrency"],
                    },
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except errors.ApiError as exc:
                form.add_error(
                    "invoice_payment_method",
                    f"Visma.net did not list the payment methods: {exc.message}",
                )
            else:
                messages.success(
                    request,
                    saved_message(
                        "Export settings saved.",
                        connection_id=connection.pk,
                        after=STEP_EXPORT_SETTINGS,
                    ),
                )
                return redirect("connections:export_settings", pk=connection.pk)
        status = 400
    chosen = form["invoice_payment_method"].value() or current.invoice_payment_method
    method = next((m for m in payment_methods if m.id == chosen), None)
    context = {
        "connection": connection,
        "form": form,
        "methods_error": methods_error,
        "payment_warning": method.warning if method and invoices_on else "",
        "history": history_entries(current.history.select_related("history_user").all()),
    }
    return render(request, "connections/export_settings.html", context, status=status)
