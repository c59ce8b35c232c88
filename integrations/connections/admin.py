"""Admin for support staff: connections without their secrets, settings with their history.

Support staff hold only `view_` permissions on this app (core.roles), so these pages are
read-only for them.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from integrations.connections.models import (
    SECRET_FIELDS,
    AccountMapping,
    Connection,
    ConnectionEvent,
    ExportSettings,
)
from integrations.core.admin_history import AuditedReadOnlyAdmin


class ConnectionEventInline(admin.TabularInline[ConnectionEvent, Connection]):
    model = ConnectionEvent
    extra = 0
    can_delete = False
    fields = ("at", "by", "kind", "ok", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(SimpleHistoryAdmin):
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
        "pleo_webhook_subscription_id",
        "visma_auth_mode",
        "visma_tenant_id",
        "visma_connected_at",
        "visma_is_connected",
        "visma_token_expires_at",
        "visma_token_scope",
        "visma_branch_number",
        "visma_company_name",
    )
    inlines = [ConnectionEventInline]
    history_list_display = ["status"]

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
