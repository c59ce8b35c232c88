"""Admin for support staff: connections without their secrets, settings with their history.

Support staff hold only `view_` permissions on this app (core.roles), so these pages are
read-only for them. Everyone sees only the connections they are members of (superusers all);
memberships are added and removed by superusers, on the connection's page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from integrations.connections.models import (
    SECRET_FIELDS,
    AccountMapping,
    Connection,
    ConnectionEvent,
    ConnectionMembership,
    ExportSettings,
    Notice,
)
from integrations.core.access import ConnectionScopedAdmin, ReadOnlyScopedAdmin
from integrations.core.admin_history import AuditedReadOnlyAdmin


def _superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and getattr(request.user, "is_superuser", False))


class MembershipInline(admin.TabularInline[ConnectionMembership, Connection]):
    """Who may see and change the connection. Granting access is a superuser's act: a finance
    user cannot widen who sees the company's books."""

    model = ConnectionMembership
    fk_name = "connection"
    extra = 0
    fields = ("user", "added_at", "added_by")
    readonly_fields = ("added_at", "added_by")
    verbose_name = "member"
    verbose_name_plural = "members (who may see and change this connection)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)


class ConnectionEventInline(admin.TabularInline[ConnectionEvent, Connection]):
    model = ConnectionEvent
    extra = 0
    can_delete = False
    fields = ("at", "by", "kind", "ok", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(ConnectionScopedAdmin, SimpleHistoryAdmin):
    connection_field = "pk"
    list_display = (
        "name",
        "status",
        "pleo_company_id",
        "pleo_is_connected",
        "pleo_token_expires_at",
        "visma_tenant_id",
        "visma_is_connected",
        "visma_token_expires_at",
        "visma_branch_number",
    )
    list_filter = ("status", "visma_auth_mode")
    search_fields = ("name", "pleo_company_id", "visma_tenant_id", "visma_company_name")
    # Secrets never reach the admin, not even encrypted.
    exclude = SECRET_FIELDS
    readonly_fields = (
        "status",
        "created_at",
        "created_by",
        "disconnected_at",
        "disconnected_by",
        "pleo_company_id",
        "pleo_connected_at",
        "pleo_is_connected",
        "pleo_token_expires_at",
        "pleo_token_scope",
        "pleo_refresh_expires_at",
        "pleo_webhook_subscription_id",
        "visma_auth_mode",
        "visma_tenant_id",
        "visma_connected_at",
        "visma_is_connected",
        "visma_token_expires_at",
        "visma_token_scope",
        "visma_refresh_expires_at",
        "visma_branch_number",
        "visma_company_name",
    )
    inlines = [MembershipInline, ConnectionEventInline]
    history_list_display = ["status"]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        rows = formset.save(commit=False)
        for gone in formset.deleted_objects:
            gone.delete()
        for row in rows:
            if isinstance(row, ConnectionMembership) and row._state.adding:
                row.added_by_id = request.user.pk
            row.save()
        formset.save_m2m()

    @admin.display(boolean=True, description="Pleo connected")
    def pleo_is_connected(self, obj: Connection) -> bool:
        return obj.pleo_connected

    @admin.display(boolean=True, description="Visma.net connected")
    def visma_is_connected(self, obj: Connection) -> bool:
        return obj.visma_connected


@admin.register(ExportSettings)
class ExportSettingsAdmin(AuditedReadOnlyAdmin):
    list_display = (
        "connection",
        "transfer_attachments",
        "one_journal_per_export",
        "card_expenses_as_invoices",
        "auto_release_invoices",
        "invoice_payment_method",
        "closed_period_policy",
        "export_concurrency",
        "updated_at",
    )
    list_select_related = ("connection",)
    readonly_fields = ("connection", "updated_at")


@admin.register(AccountMapping)
class AccountMappingAdmin(AuditedReadOnlyAdmin):
    list_display = (
        "connection",
        "wallet_accounts",
        "out_of_pocket_account",
        "tax_account",
        "output_vat_account",
        "default_vendor_number",
        "updated_at",
    )
    list_select_related = ("connection",)
    readonly_fields = ("connection", "updated_at")


@admin.register(ConnectionMembership)
class ConnectionMembershipAdmin(ConnectionScopedAdmin):
    list_display = ("connection", "user", "added_at", "added_by")
    list_filter = ("connection",)
    list_select_related = ("connection", "user", "added_by")
    search_fields = ("user__username", "connection__name")
    readonly_fields = ("added_at", "added_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _superuser(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyScopedAdmin):
    """The e-mails sent to finance contacts: what, to whom, when (read-only)."""

    list_display = ("connection", "kind", "key", "sent_at", "subject", "error")
    list_filter = ("kind", "connection")
    list_select_related = ("connection",)
    search_fields = ("key", "subject")
    readonly_fields = (
        "connection",
        "kind",
        "key",
        "created_at",
        "claimed_at",
        "sent_at",
        "subject",
        "recipients",
        "error",
    )
