"""A refusal because 'VAT entry from general ledger' is off is told apart from Visma.net's
other refusals, whatever its exact wording (DESIGN §5)."""

from __future__ import annotations

import pytest

from integrations.exports.refusals import refusal_failure

SANDBOX_WORDING = (
    "VAT transactions cannot be created: the functionality 'VAT entry from general ledger' is "
    "not enabled in Enable/disable functionalities (CS100000)."
)


@pytest.mark.parametrize(
    "message",
    [
        SANDBOX_WORDING,
        "Error: Enable VAT entry from GL in CS100000.",
        "Tax entry from GL module is disabled.",
        "The functionality VAT Entries from the General Ledger must be enabled.",
        "createVatTransaction: the feature is not enabled for this company",
        "Create VAT transactions is not available.",
    ],
)
def test_vat_entry_from_gl_refusals_fail_as_invalid_configuration_naming_cs100000(
    message: str,
) -> None:
    failure = refusal_failure(message)

    assert failure.reason_type == "invalid_configuration"
    assert failure.message.startswith(
        "Visma.net does not accept journals with VAT as VAT transactions: switch on 'VAT entry "
        "from general ledger' in Enable/disable functionalities (CS100000) in Visma.net"
    )
    assert failure.message.endswith(f"Visma.net said: {message}")


@pytest.mark.parametrize(
    "message",
    [
        "Line 2: VAT ID is required on a VAT line.",
        "The VAT amount 100.00 for VAT 'IN25' differs from 80.00.",
        "Account '6999' is inactive.",
        "The general ledger batch does not balance.",
        "",
    ],
)
def test_other_refusals_keep_vismas_words(message: str) -> None:
    failure = refusal_failure(message)

    assert failure.reason_type == "accounting_system_validation_failure"
    assert failure.message == f"Visma.net refused the document: {message}"
