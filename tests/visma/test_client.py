from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from django.utils import timezone
from responses import matchers

from integrations.core import errors
from integrations.core.models import ApiCall
from integrations.core.tokens import MemoryTokenStore, OAuthToken
from integrations.visma.auth import VismaConnect
from integrations.visma.client import VismaClient
from tests.visma import payloads

pytestmark = pytest.mark.django_db

API = "https://api.example"
CONNECT = "https://connect.example"
TOKEN_URL = f"{CONNECT}/connect/token"


@pytest.fixture
def store() -> MemoryTokenStore:
    return MemoryTokenStore(OAuthToken("tok-1", expires_at=timezone.now() + timedelta(hours=1)))


@pytest.fixture
def client(store: MemoryTokenStore) -> VismaClient:
    auth = VismaConnect(
        connect_url=CONNECT,
        client_id="isv_app",
        client_secret="secret",
        tenant_id="tenant-1",
        token_store=store,
    )
    return VismaClient(base_url=API, auth=auth, sleep=lambda _s: None, max_wait=60)


def query(index: int = 0) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(responses.calls[index].request.url).query))


def sent_json(index: int = 0) -> Any:
    return json.loads(responses.calls[index].request.body)


def created(path: str, location: str) -> None:
    responses.post(f"{API}{path}", status=201, body="", headers={"Location": location})


# -- master data -----------------------------------------------------------------------------


@responses.activate
def test_accounts_list_sends_the_modified_since_pair(client: VismaClient) -> None:
    responses.get(f"{API}/v1/account", json=[payloads.ACCOUNT])

    accounts = client.accounts_list(modified_since=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    assert query() == {
        "lastModifiedDateTime": "2026-01-02T03:04:05.000",
        "lastModifiedDateTimeCondition": ">=",
    }
    assert "Condition=%3E%3D" in responses.calls[0].request.url  # the operator is URL-encoded
    assert [a.number for a in accounts] == ["6540"]
    assert accounts[0].last_modified == datetime(2026, 1, 10, 9, 12, 0, 110000, tzinfo=UTC)


@responses.activate
def test_accounts_list_without_modified_since_sends_no_filter(client: VismaClient) -> None:
    responses.get(f"{API}/v1/account", json=[])
    assert client.accounts_list() == []
    assert query() == {}
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-1"


@responses.activate
def test_vat_categories_vats_and_zones(client: VismaClient) -> None:
    responses.get(f"{API}/v1/vatCategory", json=[payloads.VAT_CATEGORY])
    responses.get(f"{API}/v1/vat", json=[payloads.VAT])
    responses.get(f"{API}/v1/vatZone", json=[payloads.VAT_ZONE])

    categories = client.vat_categories_list()
    vats = client.vats_list()
    zones = client.vat_zones_list()

    assert categories[0].id == "1"
    assert categories[0].lines[0].rate == Decimal("25.0")
    assert (vats[0].id, vats[0].category_id, vats[0].reverse_vat) == ("IV25", "1", False)
    assert zones[0].default_vat_category == "3"
    assert query(2) == {"pageNumber": "1", "pageSize": "500"}


@responses.activate
def test_dimensions(client: VismaClient) -> None:
    responses.get(f"{API}/v1/dimension", json=["SUBACCOUNT", "PROJECT"])
    responses.get(f"{API}/v1/dimension/SUBACCOUNT", json=payloads.DIMENSION)

    assert client.dimensions_list() == ["SUBACCOUNT", "PROJECT"]
    dimension = client.dimension_get("SUBACCOUNT")

    assert query(1) == {"expandSegmentsValues": "true"}
    segment = dimension.segments[0]
    assert (segment.segment_id, segment.length, segment.validate) == (1, 2, True)
    assert [(v.value_id, v.active) for v in segment.values] == [("10", True), ("20", False)]


@responses.activate
def test_other_master_data_lists(client: VismaClient) -> None:
    responses.get(f"{API}/v1/supplier/supplierClass", json=[payloads.SUPPLIER_CLASS])
    responses.get(f"{API}/v1/paymentmethod", json=[payloads.PAYMENT_METHOD])
    responses.get(f"{API}/v1/creditTerm", json=payloads.CREDIT_TERMS_PAGE)
    responses.get(f"{API}/v1/cashaccount", json=[payloads.CASH_ACCOUNT])
    responses.get(f"{API}/v1/branch", json=[payloads.BRANCH])
    responses.get(f"{API}/v1/financialPeriod", json=[payloads.FINANCIAL_PERIOD])
    responses.get(f"{API}/v1/currency", json=[payloads.CURRENCY])

    assert client.supplier_classes_list()[0].payment_method_id == "PLEO"
    method = client.payment_methods_list()[0]
    assert (method.id, method.use_in_ap) == ("PLEO", True)
    assert [t.id for t in client.credit_terms_list()] == ["30D"]
    assert query(2) == {"pageNumber": "1", "pageSize": "500"}
    assert client.cash_accounts_list()[0].currency == "NOK"
    branch = client.branches_list()[0]
    assert (branch.number, branch.is_main, branch.currency) == ("1", True, "NOK")
    assert query(4) == {"expandCurrency": "true"}
    period = client.financial_periods_list()[0]
    assert (period.period_id, period.closed_in_gl, period.closed_in_ap) == ("202603", True, False)
    currency = client.currencies_list()[0]
    assert (currency.id, currency.is_base, currency.decimal_precision) == ("NOK", True, 2)


@responses.activate
def test_credit_terms_follow_the_page_envelope(client: VismaClient) -> None:
    first = {**payloads.CREDIT_TERMS_PAGE, "pageSize": 2, "totalCount": 3}
    first["records"] = [{"termsId": "A"}, {"termsId": "B"}]
    second = {**first, "pageNumber": 2, "records": [{"termsId": "C"}]}
    responses.get(f"{API}/v1/creditTerm", json=first)
    responses.get(f"{API}/v1/creditTerm", json=second)

    assert [t.id for t in client.credit_terms_list()] == ["A", "B", "C"]
    assert len(responses.calls) == 2


# -- suppliers -------------------------------------------------------------------------------


@responses.activate
def test_suppliers_list_pages_until_total_count(client: VismaClient) -> None:
    page_size = 500
    first = [payloads.supplier(str(n), total=page_size + 1) for n in range(page_size)]
    responses.get(f"{API}/v1/supplier", json=first)
    responses.get(f"{API}/v1/supplier", json=[payloads.supplier("last", total=page_size + 1)])

    suppliers = client.suppliers_list(
        name="Adobe", vat_registration_id="IE6364992H", corporate_id="63"
    )

    assert len(suppliers) == page_size + 1
    assert suppliers[-1].number == "last"
    assert len(responses.calls) == 2
    assert query(0) == {
        "name": "Adobe",
        "vatRegistrationId": "IE6364992H",
        "corporateId": "63",
        "pageNumber": "1",
        "pageSize": "500",
    }
    assert query(1)["pageNumber"] == "2"


@responses.activate
def test_suppliers_list_stops_on_a_short_page(client: VismaClient) -> None:
    responses.get(f"{API}/v1/supplier", json=[payloads.supplier("1", total=99999)])
    assert len(client.suppliers_list()) == 1
    assert len(responses.calls) == 1


@responses.activate
def test_supplier_get_parses_the_read_dto(client: VismaClient) -> None:
    responses.get(f"{API}/v1/supplier/50%2F12", json=payloads.supplier("50/12"))

    supplier = client.supplier_get("50/12")

    assert supplier.number == "50/12"
    assert supplier.vat_zone_id == "EU"
    assert supplier.credit_terms_id == "30D"
    assert supplier.active is True


@responses.activate
def test_supplier_create_reads_the_number_from_location(client: VismaClient) -> None:
    created("/v1/supplier", f"{API}/v1/supplier/50013")

    number = client.supplier_create(payloads.SUPPLIER_INPUT)

    assert number == "50013"
    body = sent_json()
    assert body["name"] == {"value": "Adobe Systems Software Ireland Ltd"}
    assert body["mainAddress"]["value"]["city"] == {"value": "Dublin"}


@responses.activate
def test_supplier_update_puts_a_partial_dto(client: VismaClient) -> None:
    responses.put(f"{API}/v1/supplier/50013", status=204)

    client.supplier_update("50013", payloads.SUPPLIER_INPUT)

    assert responses.calls[0].request.method == "PUT"
    assert sent_json()["supplierClassId"] == {"value": "1"}
    assert "number" not in sent_json()


# -- journal transactions --------------------------------------------------------------------


@responses.activate
def test_journal_transaction_create_posts_the_wrapped_dto(client: VismaClient) -> None:
    created("/v2/journaltransaction", "https://api.finance.visma.net/v2/journaltransaction/000123")

    assert client.journal_transaction_create(payloads.JT_INPUT) == "000123"

    body = sent_json()
    assert body["financialPeriod"] == {"value": "202603"}
    assert body["journalTransactionLines"][0]["debitAmountInCurrency"] == {"value": 500.11}
    assert body["journalTransactionLines"][0]["referenceNumber"] == {"value": "PLEO-8f3c"}
    assert responses.calls[0].request.headers["Content-Type"] == "application/json"


@responses.activate
def test_create_without_location_is_an_unknown_outcome(client: VismaClient) -> None:
    responses.post(f"{API}/v2/journaltransaction", status=201, body="")

    with pytest.raises(errors.PermanentError) as caught:
        client.journal_transaction_create(payloads.JT_INPUT)

    assert caught.value.outcome_unknown is True


@responses.activate
def test_journal_transaction_create_is_not_resent_after_a_5xx(client: VismaClient) -> None:
    responses.post(f"{API}/v2/journaltransaction", status=502, body="Bad gateway")

    with pytest.raises(errors.TransientError) as caught:
        client.journal_transaction_create(payloads.JT_INPUT)

    assert caught.value.outcome_unknown is True
    assert len(responses.calls) == 1


REFUSAL_500 = {
    "ExceptionType": "IPPException",
    "ExceptionMessage": "Supplier 50012 is inactive.",
    "ExceptionFaultCode": "10000",
    "ExceptionMessageID": "10000_2b1f",
}


@responses.activate
@pytest.mark.parametrize(
    "body", [REFUSAL_500, {"Message": "Supplier 50012 is inactive."}], ids=["exception", "message"]
)
def test_a_500_with_visma_error_body_is_a_refusal_with_its_message(
    client: VismaClient, body: dict[str, str]
) -> None:
    responses.post(f"{API}/v1/supplierInvoice", status=500, json=body)

    with pytest.raises(errors.RefusedWithServerError) as caught:
        client.supplier_invoice_create(payloads.INVOICE_INPUT)

    assert caught.value.message.startswith("Supplier 50012 is inactive.")
    assert caught.value.outcome_unknown is False
    assert isinstance(caught.value, errors.ValidationFailed)
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize(
    ("status", "kwargs"),
    [
        (500, {"body": ""}),
        (500, {"body": "<html><body>Internal Server Error</body></html>"}),
        (500, {"json": {"Message": "An error has occurred."}}),
        (500, {"json": {"statusCode": 500, "message": "Internal server error"}}),
        (502, {"json": REFUSAL_500}),
        (503, {"json": REFUSAL_500}),
        (504, {"body": "Gateway Timeout"}),
    ],
    ids=["empty", "html", "generic", "gateway", "502", "503", "504"],
)
def test_other_5xx_on_a_create_leave_the_outcome_unknown(
    client: VismaClient, status: int, kwargs: dict[str, Any]
) -> None:
    responses.post(f"{API}/v2/journaltransaction", status=status, **kwargs)

    with pytest.raises(errors.TransientError) as caught:
        client.journal_transaction_create(payloads.JT_INPUT)

    assert caught.value.outcome_unknown is True
    assert len(responses.calls) == 1


@responses.activate
def test_a_refusal_answered_500_on_a_read_is_not_retried(client: VismaClient) -> None:
    responses.get(f"{API}/v2/journaltransaction/000123", status=500, json=REFUSAL_500)

    with pytest.raises(errors.RefusedWithServerError):
        client.journal_transaction_get("000123")

    assert len(responses.calls) == 1


@responses.activate
def test_journal_transaction_get(client: VismaClient) -> None:
    responses.get(f"{API}/v2/journaltransaction/000123", json=payloads.journal_transaction())

    jt = client.journal_transaction_get("000123")

    assert jt.batch_number == "000123"
    assert jt.financial_period == "202603"
    assert [line.debit for line in jt.lines] == [Decimal("500.1"), Decimal("0")]
    assert jt.lines[0].reference_number == "PLEO-8f3c"
    assert jt.attachments[0].name == "receipt.pdf"


@responses.activate
def test_journal_transactions_find_merges_a_batch_split_over_pages(
    client: VismaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "page_size", 3)
    # Page size and totalCount count lines: 5 lines in two batches; batch 2 spans both pages.
    line = payloads.jt_line
    page1 = [
        payloads.journal_transaction(
            "1", [line(1, "6540", 10, 0), line(2, "1925", 0, 10)], total=5
        ),
        payloads.journal_transaction("2", [line(1, "6540", 7, 0)], total=5),
    ]
    page2 = [
        payloads.journal_transaction("2", [line(2, "1925", 0, 4), line(3, "1925", 0, 3)], total=5)
    ]
    responses.get(f"{API}/v2/journaltransaction", json=page1)
    responses.get(f"{API}/v2/journaltransaction", json=page2)

    found = client.journal_transactions_find(financial_period="202603")

    assert [jt.batch_number for jt in found] == ["1", "2"]
    assert [ln.line_number for ln in found[1].lines] == [1, 2, 3]
    assert sum(ln.credit for ln in found[1].lines) == Decimal("7")
    assert len(responses.calls) == 2  # stopped once 5 lines came, without an empty third page
    assert query(0) == {"periodId": "202603", "pageNumber": "1", "pageSize": "3"}


@responses.activate
def test_journal_transactions_find_does_not_stop_early_if_the_count_is_of_batches(
    client: VismaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "page_size", 2)
    line = payloads.jt_line
    two_lines = [line(1, "6540", 1, 0), line(2, "1925", 0, 1)]
    page1 = [
        payloads.journal_transaction("1", two_lines, total=3),
        payloads.journal_transaction("2", two_lines, total=3),
    ]
    responses.get(f"{API}/v2/journaltransaction", json=page1)
    responses.get(
        f"{API}/v2/journaltransaction", json=[payloads.journal_transaction("3", two_lines, total=3)]
    )

    found = client.journal_transactions_find(financial_period="202603")

    assert [jt.batch_number for jt in found] == ["1", "2", "3"]
    assert len(responses.calls) == 2


@responses.activate
def test_journal_transactions_find_by_moment(client: VismaClient) -> None:
    responses.get(f"{API}/v2/journaltransaction", json=[])

    assert (
        client.journal_transactions_find(
            modified_since=datetime(2026, 3, 1, tzinfo=UTC), module="GL"
        )
        == []
    )
    assert query() == {
        "lastModifiedDateTime": "2026-03-01T00:00:00.000",
        "module": "GL",
        "pageNumber": "1",
        "pageSize": "500",
    }
    with pytest.raises(ValueError, match="financial period or a moment"):
        client.journal_transactions_find()


@responses.activate
def test_journal_transaction_release(client: VismaClient) -> None:
    responses.post(f"{API}/v2/journaltransaction/000123/action/release", json=payloads.RELEASE_DONE)

    result = client.journal_transaction_release("000123")

    assert (result.result, result.error) == ("Done", None)
    assert result.action_id == payloads.RELEASE_DONE["actionId"]


@responses.activate
def test_journal_transaction_attach_uploads_one_file_part(client: VismaClient) -> None:
    created(
        "/v2/journaltransaction/module/GL/000123/attachment",
        f"{API}/v1/attachment/{payloads.ATTACHMENT['id']}",
    )
    created("/v2/journaltransaction/module/GL/000123/2/attachment", f"{API}/v1/attachment/line-att")

    header = client.journal_transaction_attach(
        "000123", filename="receipt.pdf", content=b"%PDF-1.4 data", content_type="application/pdf"
    )
    line = client.journal_transaction_attach(
        "000123", filename="r.jpg", content=b"\xff\xd8", content_type="image/jpeg", line_number=2
    )

    assert header == payloads.ATTACHMENT["id"]
    assert line == "line-att"
    request = responses.calls[0].request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.body
    assert isinstance(body, bytes)
    assert body.count(b"Content-Disposition") == 1
    assert b'filename="receipt.pdf"' in body
    assert b"Content-Type: application/pdf" in body
    assert b"%PDF-1.4 data" in body
    row = ApiCall.objects.filter(path__endswith="/000123/attachment").get()
    assert "receipt.pdf" in row.request_excerpt


# -- supplier invoices -----------------------------------------------------------------------


@responses.activate
def test_supplier_invoice_create_and_get(client: VismaClient) -> None:
    created("/v1/supplierInvoice", f"{API}/v1/supplierInvoice/000045")
    responses.get(f"{API}/v1/supplierInvoice/CreditAdj/000045", json=payloads.supplier_invoice())

    assert client.supplier_invoice_create(payloads.INVOICE_INPUT) == "000045"
    invoice = client.supplier_invoice_get("CreditAdj", "000045")

    assert sent_json()["invoiceLines"][0]["unitCostInCurrency"] == {"value": 59.99}
    assert invoice.amount == Decimal("59.99")
    assert invoice.supplier_number == "50012"
    assert invoice.supplier_reference == "PLEO-8f3c"


@responses.activate
def test_supplier_invoices_find(client: VismaClient) -> None:
    responses.get(
        f"{API}/v1/supplierInvoice",
        json=[payloads.supplier_invoice("1"), payloads.supplier_invoice("2")],
        match=[
            matchers.query_param_matcher(
                {
                    "supplier": "50012",
                    "documentType": "Invoice",
                    "lastModifiedDateTime": "2026-03-01T00:00:00.000",
                    "lastModifiedDateTimeCondition": ">=",
                    "pageNumber": "1",
                    "pageSize": "500",
                }
            )
        ],
    )

    found = client.supplier_invoices_find(
        supplier_number="50012",
        document_type="Invoice",
        modified_since=datetime(2026, 3, 1, tzinfo=UTC),
    )

    assert [i.reference_number for i in found] == ["1", "2"]


@responses.activate
def test_supplier_invoice_release_and_attach(client: VismaClient) -> None:
    responses.post(
        f"{API}/v1/supplierInvoice/Invoice/000045/action/release", json=payloads.RELEASE_DONE
    )
    created(
        "/v1/supplierInvoice/documentType/Invoice/000045/attachment",
        f"{API}/v1/attachment/att-9",
    )

    assert client.supplier_invoice_release("Invoice", "000045").result == "Done"
    attachment_id = client.supplier_invoice_attach(
        "Invoice", "000045", filename="r.pdf", content=b"pdf", content_type="application/pdf"
    )

    assert attachment_id == "att-9"


@responses.activate
def test_release_with_an_empty_success_is_done(client: VismaClient) -> None:
    responses.post(f"{API}/v1/supplierInvoice/Invoice/000045/action/release", status=204)
    assert client.supplier_invoice_release("Invoice", "000045").result == "Done"


@responses.activate
def test_attachment_get(client: VismaClient) -> None:
    responses.get(f"{API}/v1/attachment/{payloads.ATTACHMENT['id']}", json=payloads.ATTACHMENT)

    attachment = client.attachment_get(payloads.ATTACHMENT["id"])

    assert (attachment.name, attachment.revision) == ("receipt.pdf", 2)


# -- auth and errors -------------------------------------------------------------------------


@responses.activate
def test_401_fetches_a_new_token_once_and_retries(
    client: VismaClient, store: MemoryTokenStore
) -> None:
    responses.get(
        f"{API}/v1/currency", status=401, json={"Message": "Authorization has been denied"}
    )
    responses.get(f"{API}/v1/currency", json=[payloads.CURRENCY])
    responses.post(TOKEN_URL, json={"access_token": "tok-2", "expires_in": 3600})

    assert [c.id for c in client.currencies_list()] == ["NOK"]

    urls = [c.request.url for c in responses.calls]
    assert urls == [f"{API}/v1/currency", TOKEN_URL, f"{API}/v1/currency"]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-1"
    assert responses.calls[2].request.headers["Authorization"] == "Bearer tok-2"
    assert store.load().access_token == "tok-2"  # type: ignore[union-attr]


@responses.activate
def test_a_second_401_is_raised(client: VismaClient) -> None:
    responses.get(
        f"{API}/v1/currency", status=401, json={"Message": "Authorization has been denied"}
    )
    responses.post(TOKEN_URL, json={"access_token": "tok-2", "expires_in": 3600})

    with pytest.raises(errors.Unauthorized, match="Authorization has been denied"):
        client.currencies_list()

    assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 1


@responses.activate
def test_exception_body_keeps_fault_code_and_message_id(client: VismaClient) -> None:
    responses.post(
        f"{API}/v2/journaltransaction",
        status=400,
        json={
            "ExceptionType": "IPPException",
            "ExceptionMessage": "Account 9999 does not exist.",
            "ExceptionFaultCode": "10001",
            "ExceptionMessageID": "10001_6e2a06a8",
            "ExceptionDetails": "",
        },
    )

    with pytest.raises(errors.ValidationFailed) as caught:
        client.journal_transaction_create(payloads.JT_INPUT)

    assert caught.value.code == "10001"
    assert "Account 9999 does not exist." in caught.value.message
    assert "10001_6e2a06a8" in caught.value.message
    assert caught.value.body["ExceptionMessageID"] == "10001_6e2a06a8"


@responses.activate
def test_message_body_and_plain_text_errors(client: VismaClient) -> None:
    responses.get(f"{API}/v1/supplier/1", status=404, json={"Message": "Supplier not found"})
    responses.get(
        f"{API}/v1/supplier/2",
        status=403,
        body="No license for this company.",
        content_type="text/plain",
    )

    with pytest.raises(errors.NotFound, match="Supplier not found"):
        client.supplier_get("1")
    with pytest.raises(errors.Forbidden, match="No license for this company"):
        client.supplier_get("2")


@responses.activate
def test_a_broken_record_is_a_clear_typed_error(client: VismaClient) -> None:
    responses.get(f"{API}/v1/account", json=[{"accountID": 1}])

    with pytest.raises(
        errors.UnexpectedAnswer, match=r"/v1/account .*Visma account: field 'accountCD' is missing"
    ):
        client.accounts_list()


@responses.activate
def test_429_waits_and_retries(client: VismaClient) -> None:
    slept: list[float] = []
    client.sleep = slept.append
    responses.get(f"{API}/v1/currency", status=429, headers={"Retry-After": "2"})
    responses.get(f"{API}/v1/currency", json=[])

    assert client.currencies_list() == []
    assert slept == [2.0]
