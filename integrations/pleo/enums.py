"""Enum values from the Pleo specs (pleo-export-openapi.yml and the per-API files)."""

from __future__ import annotations

EXPORT_JOB_STATUSES = ("pending", "in_progress", "failed", "completed", "completed_with_errors")
EXPORT_JOB_EVENTS = ("started", "failed", "completed", "completed_with_errors")
EXPORT_JOB_FAILURE_REASON_TYPES = (
    "invalid_configuration", "missing_configuration", "authentication_failure",
    "accounting_system_authentication_failure", "pleo_rate_limit", "accounting_system_rate_limit",
    "service_unreachable", "accounting_system_unreachable", "validation_failure",
    "authorization_failure", "integration_unusable", "job_expired", "service_timeout",
    "accounting_system_timeout", "canceled_by_user",
)  # fmt: skip
EXPORT_ITEM_STATUSES = ("pending", "in_progress", "failed", "successful", "abandoned")
EXPORT_ITEM_FAILURE_REASON_TYPES = (
    "receipt_upload_failure", "receipt_download_failure", "receipt_file_size_limit_exceeded",
    "receipt_conversion_failure", "unexpected_failure", "invalid_configuration",
    "missing_configuration", "accounting_system_authentication_failure",
    "accounting_system_rate_limit", "accounting_system_unreachable", "validation_failure",
    "accounting_system_validation_failure", "authorization_failure", "accounting_system_timeout",
    "vendor_unknown", "account_unknown", "tax_code_unknown", "tag_unknown",
)  # fmt: skip
EXPORT_ITEM_TYPES = (
    "card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem",
    "external_reimbursement", "direct_reimbursement", "invoice", "invoice_payment", "chargeback",
    "refund", "cashback", "atm_withdrawal", "wallet_topup", "wallet_unload", "personal_spend", "fee",
)  # fmt: skip
EXPORT_ITEM_SUB_TYPES = (
    "reimbursement_to_employee_refund", "reimbursement_to_company", "reimbursement_to_employee",
    "invoice_payment_returned", "invoice_payment_sent", "interest",
)  # fmt: skip
BOOKKEEPING_METHODS = ("none", "journal", "accounts_payable")
TAX_TYPES = ("inclusive", "exclusive", "reverse")
VENDOR_STATES = ("DRAFT", "ACTIVE", "ARCHIVED")
SUBSCRIPTION_STATUSES = ("INACTIVE", "ACTIVE")
ITEM_UPDATE_ERROR_TYPES = (
    "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
    "EXPORT_ENTRY_STATUS_UPDATE_FAILED",
    "ACCOUNTING_ENTRY_UPDATE_FAILED",
)
