"""The Vendors page: mirrored suppliers with search and their Pleo state, and the form that
creates a supplier in Visma.net (then the vendor in Pleo)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from integrations.connections.models import Connection
from integrations.core import errors
from integrations.core.access import connection_member_required
from integrations.core.roles import finance_required
from integrations.masterdata.forms_vendors import VendorForm
from integrations.masterdata.models import VismaSupplier
from integrations.masterdata.vendors import VendorInputError, vendor_create_in_visma

PAGE_SIZE = 50


@connection_member_required
@finance_required
@require_http_methods(["GET", "HEAD", "POST"])
def vendors_page(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=connection_id)
    status = 200
    if request.method == "POST":
        form = VendorForm(request.POST, connection=connection)
        if form.is_valid():
            try:
                supplier = vendor_create_in_visma(
                    connection=connection, data=form.vendor_data(), by=request.user.get_username()
                )
            except VendorInputError as exc:
                for field, reason in exc.errors.items():
                    form.add_error(field if field in form.fields else None, reason)
            except errors.ApiError as exc:
                form.add_error(None, f"Visma.net refused the supplier: {exc}")
            else:
                if supplier.pleo_error:
                    messages.warning(
                        request,
                        f"Supplier {supplier.number} created in Visma.net; Pleo: "
                        f"{supplier.pleo_error} (the next vendor sync retries).",
                    )
                else:
                    messages.success(
                        request,
                        f"Supplier {supplier.number} created in Visma.net and active in Pleo.",
                    )
                return redirect("masterdata:vendors", connection_id=connection.pk)
        status = 400
    else:
        form = VendorForm(connection=connection)

    query = request.GET.get("q", "").strip()
    suppliers = VismaSupplier.objects.filter(connection=connection).order_by("name", "number")
    if query:
        suppliers = suppliers.filter(
            Q(name__icontains=query)
            | Q(number__icontains=query)
            | Q(vat_registration_id__icontains=query)
        )
    page = Paginator(suppliers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "masterdata/vendors.html",
        {"connection": connection, "form": form, "page": page, "query": query},
        status=status,
    )
