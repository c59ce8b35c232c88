"""Enum values from the Pleo specs (pleo-export-openapi.yml and the per-API files)."""

from __future__ import annotations

from enum import StrEnum

EXPORT_JOB_STATUSES = ("pending", "in_progress", "failed", "completed", "completed_with_errors")
EXPORT_JOB_EVENTS = ("started", "failed", "completed", "completed_with_errors")
EXPORT_ITEM_STATUSES = ("pending", "in_progress", "failed", "successful", "abandoned")


class FailureReason(StrEnum):
    """Pleo's export item `failureReasonType` (pleo-export-openapi.yml, `ExportJobItemFailureReasonType`).

    A `StrEnum`, so a member equals its string: stored values and JSON bodies stay plain text.
    """

    RECEIPT_UPLOAD_FAILURE = "receipt_upload_failure"
    RECEIPT_DOWNLOAD_FAILURE = "receipt_download_failure"
    RECEIPT_FILE_SIZE_LIMIT_EXCEEDED = "receipt_file_size_limit_exceeded"
    RECEIPT_CONVERSION_FAILURE = "receipt_conversion_failure"
    UNEXPECTED_FAILURE = "unexpected_failure"
    INVALID_CONFIGURATION = "invalid_configuration"
    MISSING_CONFIGURATION = "missing_configuration"
    ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE = "accounting_system_authentication_failure"
    ACCOUNTING_SYSTEM_RATE_LIMIT = "accounting_system_rate_limit"
    ACCOUNTING_SYSTEM_UNREACHABLE = "accounting_system_unreachable"
    VALIDATION_FAILURE = "validation_failure"
    ACCOUNTING_SYSTEM_VALIDATION_FAILURE = "accounting_system_validation_failure"
    AUTHORIZATION_FAILURE = "authorization_failure"
    ACCOUNTING_SYSTEM_TIMEOUT = "accounting_system_timeout"
    VENDOR_UNKNOWN = "vendor_unknown"
    ACCOUNT_UNKNOWN = "account_unknown"
    TAX_CODE_UNKNOWN = "tax_code_unknown"
    TAG_UNKNOWN = "tag_unknown"


# Short plain titles for finance staff, one per reason (the codes stay what support looks up).
FAILURE_REASON_TITLES: dict[str, str] = {
    FailureReason.RECEIPT_UPLOAD_FAILURE: "A receipt could not be attached in Visma.net",
    FailureReason.RECEIPT_DOWNLOAD_FAILURE: "A receipt could not be downloaded from Pleo",
    FailureReason.RECEIPT_FILE_SIZE_LIMIT_EXCEEDED: "A receipt is too large for Visma.net",
    FailureReason.RECEIPT_CONVERSION_FAILURE: "A receipt could not be converted",
    FailureReason.UNEXPECTED_FAILURE: "Something unexpected went wrong",
    FailureReason.INVALID_CONFIGURATION: "A setting is not valid",
    FailureReason.MISSING_CONFIGURATION: "A setting is missing",
    FailureReason.ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE: "Visma.net refused the sign-in",
    FailureReason.ACCOUNTING_SYSTEM_RATE_LIMIT: "Visma.net asked us to slow down",
    FailureReason.ACCOUNTING_SYSTEM_UNREACHABLE: "Visma.net could not be reached",
    FailureReason.VALIDATION_FAILURE: "The expense is incomplete",
    FailureReason.ACCOUNTING_SYSTEM_VALIDATION_FAILURE: "Visma.net refused the booking",
    FailureReason.AUTHORIZATION_FAILURE: "Missing rights",
    FailureReason.ACCOUNTING_SYSTEM_TIMEOUT: "Visma.net did not answer in time",
    FailureReason.VENDOR_UNKNOWN: "The vendor is not known in Visma.net",
    FailureReason.ACCOUNT_UNKNOWN: "The category has no Visma.net account",
    FailureReason.TAX_CODE_UNKNOWN: "The tax code is not known in Visma.net",
    FailureReason.TAG_UNKNOWN: "A tag is not known in Visma.net",
}


def failure_reason_title(reason_type: str) -> str:
    return FAILURE_REASON_TITLES.get(reason_type, reason_type.replace("_", " ").capitalize())


class JobFailureReason(StrEnum):
    """Pleo's export job `failureReasonType` (pleo-export-openapi.yml, `ExportJobFailureReasonType`)."""

    INVALID_CONFIGURATION = "invalid_configuration"
    MISSING_CONFIGURATION = "missing_configuration"
    AUTHENTICATION_FAILURE = "authentication_failure"
    ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE = "accounting_system_authentication_failure"
    PLEO_RATE_LIMIT = "pleo_rate_limit"
    ACCOUNTING_SYSTEM_RATE_LIMIT = "accounting_system_rate_limit"
    SERVICE_UNREACHABLE = "service_unreachable"
    ACCOUNTING_SYSTEM_UNREACHABLE = "accounting_system_unreachable"
    VALIDATION_FAILURE = "validation_failure"
    AUTHORIZATION_FAILURE = "authorization_failure"
    INTEGRATION_UNUSABLE = "integration_unusable"
    JOB_EXPIRED = "job_expired"
    SERVICE_TIMEOUT = "service_timeout"
    ACCOUNTING_SYSTEM_TIMEOUT = "accounting_system_timeout"
    CANCELED_BY_USER = "canceled_by_user"


EXPORT_JOB_FAILURE_REASON_TYPES = tuple(JobFailureReason)
EXPORT_ITEM_FAILURE_REASON_TYPES = tuple(FailureReason)
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
