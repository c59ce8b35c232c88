"""Routes of the Pleo sandbox, mounted at `/sandbox/pleo/`.

API paths are Pleo's own (Reference: ../shared/specs/pleo/*.yml); `oauth/…` stands for
auth.pleo.io; `_control/…` is the sandbox's control API.
"""

from __future__ import annotations

from django.urls import URLPattern, path, register_converter

from integrations.sandbox.common import control_urlpatterns
from integrations.sandbox.pleo import (
    control,
    control_campaign,
    files,
    oauth,
    vendor_import,
    views_accounting,
    views_company,
    views_export,
    views_tags,
    views_vendors,
)


class IdConverter:
    """A path id up to the next `/` or `:` (Pleo puts actions after a colon: `{id}:activate`)."""

    regex = r"[^/:]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IdConverter, "pleoid")

urlpatterns: list[URLPattern] = [
    # OAuth (auth.pleo.io)
    path("oauth/authorize", oauth.authorize, name="sandbox-pleo-authorize"),
    path("oauth/token", oauth.token, name="sandbox-pleo-token"),
    path("oauth/revoke", oauth.revoke, name="sandbox-pleo-revoke"),
    # Companies
    path("v1/companies", views_company.companies),
    # Export API v3
    path("v3/export-jobs", views_export.export_jobs),
    path("v3/export-jobs/<pleoid:job_id>", views_export.export_job_detail),
    path("v3/export-jobs/<pleoid:job_id>/items", views_export.export_job_items),
    path("v3/export-job-events", views_export.export_job_events),
    path("v3/export-items", views_export.export_items),
    # Chart of accounts
    path("v1/chart-of-accounts", views_accounting.chart_accounts_create),
    path("v1/chart-of-accounts:search", views_accounting.chart_accounts_search),
    path("v1/chart-of-accounts/batch", views_accounting.chart_accounts_batch),
    path("v1/chart-of-accounts/<pleoid:account_id>", views_accounting.chart_account_detail),
    # Tax codes
    path("v0/tax-codes", views_accounting.tax_codes_create),
    path("v0/tax-codes:search", views_accounting.tax_codes_search),
    path("v0/tax-codes/<pleoid:tax_code_id>", views_accounting.tax_code_detail),
    # Tag groups and tags
    path("v0/tag-groups", views_tags.tag_groups),
    path("v0/tag-groups/<pleoid:group_id>", views_tags.tag_group_detail),
    path("v0/tag-groups/<pleoid:group_id>/tags", views_tags.group_tags),
    path("v0/tags/<pleoid:tag_id>", views_tags.tag_detail),
    # Vendors
    path("v1/vendors", views_vendors.vendors_create),
    path("v1/vendors:search", views_vendors.vendors_search),
    # Vendor CSV import jobs
    path("v1/vendors/csv-import/jobs", vendor_import.jobs_create),
    path("v1/vendors/csv-import/jobs:search", vendor_import.jobs_search),
    path("v1/vendors/csv-import/jobs/<pleoid:job_id>", vendor_import.job_detail),
    path("v1/vendors/csv-import/jobs/<pleoid:job_id>:run", vendor_import.job_run),
    path(
        "v1/vendors/csv-import/jobs/<pleoid:job_id>:get-presigned-url",
        vendor_import.job_presigned_url,
    ),
    path("v1/vendors/csv-import/jobs/<pleoid:job_id>/errors", vendor_import.job_errors),
    path("v1/vendors/csv-import/jobs/<pleoid:job_id>/metadata", vendor_import.job_metadata),
    path("v1/vendors/csv-import/jobs/<pleoid:job_id>/status", vendor_import.job_status),
    path("csv-uploads/<pleoid:job_id>", vendor_import.upload, name="sandbox-pleo-csv-upload"),
    path("v1/vendors/<pleoid:vendor_id>:activate", views_vendors.vendor_activate),
    path("v1/vendors/<pleoid:vendor_id>:archive", views_vendors.vendor_archive),
    path("v1/vendors/<pleoid:vendor_id>", views_vendors.vendor_detail),
    # Webhook subscriptions
    path("v1/subscriptions", views_vendors.subscriptions),
    path("v1/subscriptions/<pleoid:subscription_id>", views_vendors.subscription_detail),
    path("v1/subscriptions/<pleoid:subscription_id>/secret", views_vendors.subscription_secret),
    # Receipts behind signed links
    path("files/<pleoid:file_id>", files.file_download, name="sandbox-pleo-file"),
    # Control API
    path("_control/export-jobs", control.export_jobs_create),
    path("_control/vendors", control.vendors_create),
    path("_control/files", control.files_create),
    path("_control/vendor-imports", control_campaign.vendor_imports),
    path("_control/state", control.state),
    path("_control/reset", control.reset),
    path("_control/seed", control.seed),
    path("_control/token-expiry", control.token_expiry),
    path("_control/file-link-expiry", control.file_link_expiry),
    path("_control/webhooks", control.webhooks),
    path("_control/deliveries/flush", control.deliveries_flush_view),
    path("_control/deliveries/redeliver", control_campaign.deliveries_redeliver),
    path("_control/deliveries/release", control_campaign.deliveries_release_view),
    path("_control/tokens/revoke", control_campaign.tokens_revoke),
    path("_control/export-jobs/<pleoid:job_id>/expire", control_campaign.export_job_expire),
    path("_control/file-links/expire", control_campaign.file_links_expire_view),
    *control_urlpatterns("pleo"),
]
