"""Enum values from the Pleo specs (pleo-export-openapi.yml and the per-API files)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class ReasonWords:
    """A failure reason as finance staff read it: a short title and what fixes it. The item's
    own message says which account, tag or file; these say what kind of trouble it is."""

    title: str
    fix: str


# Every member of `FailureReason`, in the pages' words (a test checks none is missing).
FAILURE_REASON_WORDS: dict[FailureReason, ReasonWords] = {
    FailureReason.RECEIPT_UPLOAD_FAILURE: ReasonWords(
        "A receipt could not be attached in Visma.net",
        "The expense is booked; retry to attach the receipt. If it fails again, check the file "
        "in Pleo.",
    ),
    FailureReason.RECEIPT_DOWNLOAD_FAILURE: ReasonWords(
        "A receipt could not be downloaded from Pleo",
        "Retry: the receipt is fetched from Pleo again.",
    ),
    FailureReason.RECEIPT_FILE_SIZE_LIMIT_EXCEEDED: ReasonWords(
        "A receipt is too large for Visma.net",
        "Replace the receipt in Pleo with a smaller file, then retry.",
    ),
    FailureReason.RECEIPT_CONVERSION_FAILURE: ReasonWords(
        "A receipt could not be converted",
        "Upload the receipt again in Pleo as a PDF, JPEG or PNG file, then retry.",
    ),
    FailureReason.UNEXPECTED_FAILURE: ReasonWords(
        "Something unexpected went wrong",
        "Retry. If it fails again, ask support to look at this expense.",
    ),
    FailureReason.INVALID_CONFIGURATION: ReasonWords(
        "A setting is not valid",
        "Correct the setting the message names, then retry.",
    ),
    FailureReason.MISSING_CONFIGURATION: ReasonWords(
        "A setting is missing",
        "Fill in the setting the message names, then retry.",
    ),
    FailureReason.ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE: ReasonWords(
        "Visma.net refused the sign-in",
        "Connect Visma.net again on the Connection page, then retry.",
    ),
    FailureReason.ACCOUNTING_SYSTEM_RATE_LIMIT: ReasonWords(
        "Visma.net asked us to slow down",
        "Nothing to change: retry in a while.",
    ),
    FailureReason.ACCOUNTING_SYSTEM_UNREACHABLE: ReasonWords(
        "Visma.net could not be reached",
        "Nothing to change: retry in a while.",
    ),
    FailureReason.VALIDATION_FAILURE: ReasonWords(
        "The expense is incomplete",
        "Correct the expense in Pleo as the message says, or book it in Visma.net by hand.",
    ),
    FailureReason.ACCOUNTING_SYSTEM_VALIDATION_FAILURE: ReasonWords(
        "Visma.net refused the booking",
        "Visma.net's message says what it refused: correct that in Visma.net or in the setup, "
        "then retry.",
    ),
    FailureReason.AUTHORIZATION_FAILURE: ReasonWords(
        "Missing rights",
        "Connect Visma.net again with a user who has the rights the message names.",
    ),
    FailureReason.ACCOUNTING_SYSTEM_TIMEOUT: ReasonWords(
        "Visma.net did not answer in time",
        "Retry: the document is looked up first, so it is never booked twice.",
    ),
    FailureReason.VENDOR_UNKNOWN: ReasonWords(
        "The vendor is not known in Visma.net",
        "Create or reactivate the supplier in Visma.net, or change the vendor in Pleo, then retry.",
    ),
    FailureReason.ACCOUNT_UNKNOWN: ReasonWords(
        "The category has no Visma.net account",
        "Map the category to an active Visma.net account, or activate the account in "
        "Visma.net, then retry.",
    ),
    FailureReason.TAX_CODE_UNKNOWN: ReasonWords(
        "The tax code is not known in Visma.net",
        "Sync the VAT categories or map the tax code to a Visma.net VAT category, then retry.",
    ),
    FailureReason.TAG_UNKNOWN: ReasonWords(
        "A tag is not known in Visma.net",
        "Sync the dimensions or map the tag to a segment value, then retry.",
    ),
}

# The titles alone (the e-mails' and the pages' headings).
FAILURE_REASON_TITLES: dict[str, str] = {r: w.title for r, w in FAILURE_REASON_WORDS.items()}

# Every member of `JobFailureReason`: why a whole export stopped.
JOB_FAILURE_REASON_WORDS: dict[JobFailureReason, ReasonWords] = {
    JobFailureReason.INVALID_CONFIGURATION: ReasonWords(
        "A setting is not accepted", "Correct the setting the message names."
    ),
    JobFailureReason.MISSING_CONFIGURATION: ReasonWords(
        "A setting is missing", "Fill in the setting the message names."
    ),
    JobFailureReason.AUTHENTICATION_FAILURE: ReasonWords(
        "Pleo sign-in expired or refused", "Connect Pleo again on the Connection page."
    ),
    JobFailureReason.ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE: ReasonWords(
        "Visma.net sign-in expired or refused", "Connect Visma.net again on the Connection page."
    ),
    JobFailureReason.PLEO_RATE_LIMIT: ReasonWords(
        "Pleo asked to slow down", "Nothing to change: export again in a while."
    ),
    JobFailureReason.ACCOUNTING_SYSTEM_RATE_LIMIT: ReasonWords(
        "Visma.net asked to slow down", "Nothing to change: export again in a while."
    ),
    JobFailureReason.SERVICE_UNREACHABLE: ReasonWords(
        "Pleo could not be reached", "Nothing to change: export again in a while."
    ),
    JobFailureReason.ACCOUNTING_SYSTEM_UNREACHABLE: ReasonWords(
        "Visma.net could not be reached", "Nothing to change: export again in a while."
    ),
    JobFailureReason.VALIDATION_FAILURE: ReasonWords(
        "The export could not be read or booked",
        "See the message; the expenses go back to Pleo's export queue.",
    ),
    JobFailureReason.AUTHORIZATION_FAILURE: ReasonWords(
        "Not allowed", "Connect again with a user who has the rights the message names."
    ),
    JobFailureReason.INTEGRATION_UNUSABLE: ReasonWords(
        "The integration stopped this export",
        "Ask support to look at this export; the expenses go back to Pleo's export queue.",
    ),
    JobFailureReason.JOB_EXPIRED: ReasonWords(
        "The export expired in Pleo", "Export the expenses again from Pleo."
    ),
    JobFailureReason.SERVICE_TIMEOUT: ReasonWords(
        "Pleo did not answer in time", "Nothing to change: export again in a while."
    ),
    JobFailureReason.ACCOUNTING_SYSTEM_TIMEOUT: ReasonWords(
        "Visma.net did not answer in time", "Nothing to change: export again in a while."
    ),
    JobFailureReason.CANCELED_BY_USER: ReasonWords(
        "Cancelled in Pleo", "Nothing to fix: export the expenses again when you want them."
    ),
}


def failure_reason_words(value: str) -> ReasonWords:
    """An item's stored reason in words; an unknown or empty value reads as unexpected."""
    try:
        return FAILURE_REASON_WORDS[FailureReason(value)]
    except ValueError:
        return FAILURE_REASON_WORDS[FailureReason.UNEXPECTED_FAILURE]


def job_failure_reason_words(value: str) -> ReasonWords | None:
    try:
        return JOB_FAILURE_REASON_WORDS[JobFailureReason(value)]
    except ValueError:
        return None
