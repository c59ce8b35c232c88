"""Admin for the mirror and the sync runs: read-only (the data comes from Visma.net; runs are
history), with a link from each run to the API calls it made."""

from __future__ import annotations

import contextlib
import importlib

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from integrations.core.access import ConnectionScopedAdmin
from integrations.masterdata.models import (
    HandledPleoVendor,
    SyncCursor,
    SyncRun,
    VismaAccount,
    VismaBranch,
    VismaCashAccount,
    VismaCreditTerm,
    VismaCurrency,
    VismaFinancialPeriod,
    VismaPaymentMethod,
    VismaSegment,
    VismaSegmentValue,
    VismaSupplier,
    VismaSupplierClass,
    VismaVat,
    VismaVatCategory,
    VismaVatZone,
)

# The mapping admins (CategoryMapping, SegmentSetting) live with the setup pages.
with contextlib.suppress(ImportError):
    importlib.import_module("integrations.masterdata.admin_mapping")


class ReadOnlyAdmin(ConnectionScopedAdmin):
    """The mirror and the runs of the user's connections, read-only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


MIRROR_FILTERS = ("connection", "active")
PLEO_FIELDS = ("pleo_id", "pleo_error")


def _mirror(model: type[Model], display: tuple[str, ...], search: tuple[str, ...]) -> None:
    pushed = any(f.name == "pleo_id" for f in model._meta.fields)
    attrs = {
        "list_display": display + ("active",) + (PLEO_FIELDS if pushed else ()),
        "list_filter": MIRROR_FILTERS,
        "search_fields": search,
        "list_select_related": ("connection",) if hasattr(model, "connection") else (),
        "readonly_fields": [f.name for f in model._meta.fields],
    }
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), attrs))


_mirror(VismaAccount, ("number", "description", "type", "tax_category", "connection"), ("number", "description"))  # fmt: skip
_mirror(VismaVatCategory, ("vat_category_id", "description", "rate", "reverse_charge", "vat_ids", "connection"), ("vat_category_id", "description"))  # fmt: skip
_mirror(VismaVat, ("vat_id", "description", "type", "reverse_vat", "claimable_account", "active", "connection"), ("vat_id", "description"))  # fmt: skip
_mirror(VismaSegment, ("dimension_id", "segment_id", "description", "connection"), ("description",))  # fmt: skip
_mirror(VismaSupplier, ("number", "name", "status", "vat_registration_id", "pleo_state", "connection"), ("number", "name", "vat_registration_id"))  # fmt: skip
_mirror(VismaPaymentMethod, ("payment_method_id", "description", "use_in_ap", "connection"), ("payment_method_id", "description"))  # fmt: skip
_mirror(VismaBranch, ("number", "name", "is_main", "connection"), ("number", "name"))
_mirror(VismaFinancialPeriod, ("period_id", "start_date", "end_date", "closed_in_gl", "closed_in_ap", "connection"), ("period_id",))  # fmt: skip
_mirror(VismaSupplierClass, ("supplier_class_id", "description", "connection"), ("supplier_class_id",))  # fmt: skip
_mirror(VismaCreditTerm, ("credit_terms_id", "description", "connection"), ("credit_terms_id",))
_mirror(VismaCashAccount, ("number", "description", "currency", "connection"), ("number",))
_mirror(VismaVatZone, ("vat_zone_id", "description", "default_vat_category", "connection"), ("vat_zone_id",))  # fmt: skip
_mirror(VismaCurrency, ("currency_id", "description", "is_base", "connection"), ("currency_id",))


@admin.register(VismaSegmentValue)
class VismaSegmentValueAdmin(ReadOnlyAdmin):
    connection_field = "segment__connection"
    list_display = ("value_id", "description", "segment", "active", "pleo_id", "pleo_error")
    list_filter = ("active", "segment__connection", "segment")
    search_fields = ("value_id", "description")
    list_select_related = ("segment",)
    readonly_fields = [f.name for f in VismaSegmentValue._meta.fields]


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ("connection", "record_type", "read_started_at")
    list_filter = ("connection", "record_type")


@admin.register(HandledPleoVendor)
class HandledPleoVendorAdmin(ReadOnlyAdmin):
    list_display = ("pleo_vendor_id", "supplier_number", "outcome", "handled_at", "connection")
    list_filter = ("connection", "outcome")
    search_fields = ("pleo_vendor_id", "supplier_number")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "connection",
        "kind",
        "full",
        "status",
        "queued_at",
        "finished_at",
        "created",
        "updated",
        "archived",
        "unarchived",
        "unchanged",
        "failed",
        "triggered_by",
    )
    list_filter = ("kind", "status", "full", "connection")
    list_select_related = ("connection",)
    date_hierarchy = "queued_at"
    readonly_fields = [f.name for f in SyncRun._meta.fields] + ["api_calls"]

    @admin.display(description="API calls")
    def api_calls(self, obj: SyncRun) -> str:
        url = reverse("admin:core_apicall_changelist") + f"?sync_run_id={obj.pk}"
        return format_html('<a href="{}">The requests this run made</a>', url)
