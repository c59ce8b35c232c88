"""Shapes of the configuration API. Serializers only check the shape; the services check the
values against the mirror (the same checks as the pages)."""

from __future__ import annotations

from rest_framework import serializers

from integrations.connections.models import ExportSettings
from integrations.masterdata.models import SyncRun
from integrations.masterdata.sync_kinds import SYNC_KIND_CHOICES


class ExportSettingsSerializer(serializers.Serializer):
    transfer_attachments = serializers.BooleanField()
    one_journal_per_export = serializers.BooleanField()
    card_expenses_as_invoices = serializers.BooleanField()
    auto_release_invoices = serializers.BooleanField(
        help_text="Only when card_expenses_as_invoices is true."
    )
    invoice_payment_method = serializers.CharField(
        allow_blank=True, help_text="Only when card_expenses_as_invoices is true."
    )
    closed_period_policy = serializers.ChoiceField(
        choices=ExportSettings.ClosedPeriodPolicy.choices
    )
    journal_batch_max_lines = serializers.IntegerField(min_value=1, max_value=10000)
    export_concurrency = serializers.IntegerField(
        required=False,
        help_text="Remote calls of one export run under way at once, 1 to 16 (default 4).",
    )


class AccountMappingSerializer(serializers.Serializer):
    wallet_accounts = serializers.DictField(
        child=serializers.CharField(),
        help_text='Pleo wallet currency → Visma.net account number, e.g. {"NOK": "1925"}.',
    )
    tax_account = serializers.CharField(help_text="The standard input VAT account.")
    out_of_pocket_account = serializers.CharField(
        allow_blank=True, default="", help_text="Needed when reimbursable spend is exported."
    )
    output_vat_account = serializers.CharField(
        allow_blank=True, default="", help_text="Credited for reverse-charge VAT."
    )
    default_vendor_number = serializers.CharField(
        allow_blank=True,
        default="",
        help_text="Needed for purchase invoices without a matched vendor.",
    )


class SegmentSettingSerializer(serializers.Serializer):
    segment_id = serializers.IntegerField(help_text="Segment of the SUBACCOUNT dimension.")
    description = serializers.CharField(read_only=True)
    synced = serializers.BooleanField(help_text="Sync this segment as a Pleo tag group.")
    default_value = serializers.CharField(
        allow_blank=True,
        default="",
        help_text="Used when an expense has no tag in this group; an active value.",
    )
    pleo_tag_group_id = serializers.CharField(read_only=True)


class TagSettingsSerializer(serializers.Serializer):
    segments = SegmentSettingSerializer(many=True)


class TagSettingsResultSerializer(TagSettingsSerializer):
    sync_run_id = serializers.IntegerField(allow_null=True, read_only=True)
    sync_error = serializers.CharField(read_only=True)


class CategoryMappingSerializer(serializers.Serializer):
    pleo_account_id = serializers.CharField()
    pleo_account_name = serializers.CharField(allow_blank=True, default="")
    pleo_account_code = serializers.CharField(allow_blank=True, default="")
    visma_account_number = serializers.CharField(
        allow_blank=True, help_text="Blank removes the mapping."
    )
    default_vat_category = serializers.CharField(allow_blank=True, default="")


class CategoryMappingsSerializer(serializers.Serializer):
    mappings = CategoryMappingSerializer(many=True)


class CategoryMappingsResultSerializer(CategoryMappingsSerializer):
    removed = serializers.ListField(child=serializers.CharField(), read_only=True)
    pleo_updated = serializers.ListField(child=serializers.CharField(), read_only=True)
    pleo_errors = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Pleo account id → why Pleo was not updated (the mapping is saved).",
    )


SYNC_KINDS = tuple(name for name, _ in SYNC_KIND_CHOICES)


class SyncStartSerializer(serializers.Serializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=SYNC_KINDS), min_length=1, default=["all"]
    )
    full = serializers.BooleanField(default=False, help_text="Full reconcile, not incremental.")


class SyncRunSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    finished = serializers.BooleanField(read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "kind",
            "kinds",
            "full",
            "status",
            "queued_at",
            "started_at",
            "finished_at",
            "created",
            "updated",
            "archived",
            "unarchived",
            "unchanged",
            "failed",
            "failures",
            "error",
            "progress_done",
            "progress_total",
            "progress_percent",
            "finished",
            "triggered_by",
        ]
        read_only_fields = fields
