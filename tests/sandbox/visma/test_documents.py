"""Journal transactions, supplier invoices, suppliers and attachments: the happy paths."""

from __future__ import annotations

from typing import Any

from tests.sandbox.visma.conftest import (
    Visma,
    assert_visma_error,
    invoice_body,
    journal_body,
    w,
)


def test_journal_create_answers_201_with_location_and_reads_back(visma: Visma) -> None:
    answer = visma.post("/v2/journaltransaction", journal_body())
    assert answer.status_code == 201
    assert answer.content == b""
    location = answer["Location"]
    assert location == "http://testserver/sandbox/visma/v2/journaltransaction/000001"
    got = visma.get("/v2/journaltransaction/000001").json()
    assert got["batchNumber"] == "000001"
    assert got["status"] == "Balanced"
    assert got["financialPeriod"] == "202603"
    assert got["transactionDate"].startswith("2026-03-14T00:00:00")
    first, second = got["journalTransactionLines"]
    assert first["accountNumber"] == "6540"
    assert first["debitAmountInCurrency"] == 500.0
    assert first["vatCode"] == {"id": "1"}
    # Segments left out take the segment's default value.
    assert first["subaccount"]["subaccountNumber"] == "10-000"
    assert second["subaccount"]["subaccountNumber"] == "00-000"
    assert got["debitTotalInCurrency"] == got["creditTotalInCurrency"] == 500.0


def test_journal_release_and_update(visma: Visma) -> None:
    visma.post("/v2/journaltransaction", journal_body())
    changed = visma.put(
        "/v2/journaltransaction/000001",
        {
            "description": w("Changed"),
            "journalTransactionLines": [
                {"operation": "Update", "lineNumber": w(1), "debitAmountInCurrency": w(400)},
                {"operation": "Update", "lineNumber": w(2), "creditAmountInCurrency": w(400)},
            ],
        },
    )
    assert changed.status_code == 204
    got = visma.get("/v2/journaltransaction/000001").json()
    assert got["description"] == "Changed" and got["debitTotalInCurrency"] == 400.0
    unbalanced = visma.put(
        "/v2/journaltransaction/000001",
        {"journalTransactionLines": [
            {"operation": "Update", "lineNumber": w(1), "debitAmountInCurrency": w(1)}]},
    )  # fmt: skip
    assert_visma_error(unbalanced, 400, "out of balance")
    released = visma.post("/v2/journaltransaction/000001/action/release")
    assert released.status_code == 200 and released.json()["actionResult"] == "Done"
    assert visma.get("/v2/journaltransaction/000001").json()["status"] == "Posted"
    again = visma.post("/v2/journaltransaction/000001/action/release").json()
    assert again["actionResult"] == "Failed" and "already released" in again["errorInfo"]
    assert_visma_error(
        visma.put("/v2/journaltransaction/000001", {"description": w("x")}), 400, "released"
    )


def test_journal_with_own_number_and_duplicate(visma: Visma) -> None:
    body = journal_body(batchNumber=w("PLEO-1"), overrideNumberSeries=w(True))
    assert visma.post("/v2/journaltransaction", body)["Location"].endswith("/PLEO-1")
    assert_visma_error(visma.post("/v2/journaltransaction", body), 400, "already exists")


def test_journal_list_needs_period_and_pages_by_lines(visma: Visma) -> None:
    for _ in range(3):
        assert visma.post("/v2/journaltransaction", journal_body()).status_code == 201
    assert_visma_error(visma.get("/v2/journaltransaction"), 400, "periodId or lastModifiedDateTime")
    page1 = visma.get("/v2/journaltransaction", periodId="202603", pageSize=3, pageNumber=1).json()
    page2 = visma.get("/v2/journaltransaction", periodId="202603", pageSize=3, pageNumber=2).json()
    # 6 lines in 3 batches: the second batch is split across the pages.
    assert [j["batchNumber"] for j in page1] == ["000001", "000002"]
    assert [len(j["journalTransactionLines"]) for j in page1] == [2, 1]
    assert [j["batchNumber"] for j in page2] == ["000002", "000003"]
    assert [len(j["journalTransactionLines"]) for j in page2] == [1, 2]
    assert page1[0]["metadata"] == {"totalCount": 6, "maxPageSize": 1000}
    assert visma.get("/v2/journaltransaction", periodId="202604").json() == []


def test_invoice_create_read_release(visma: Visma) -> None:
    answer = visma.post("/v1/supplierInvoice", invoice_body())
    assert answer.status_code == 201 and answer.content == b""
    assert answer["Location"].endswith("/v1/supplierInvoice/Invoice/000001")
    got = visma.get("/v1/supplierInvoice/000001").json()
    assert got["documentType"] == "Invoice"
    assert got["supplier"]["number"] == "50003"
    assert got["amount"] == 125.0 and got["vatAmount"] == 25.0  # gross 125 at 25 %
    assert got["invoiceLines"][0]["account"]["number"] == "6800"
    assert got["paymentMethod"]["id"] == "MANUAL"  # from the supplier
    released = visma.post("/v1/supplierInvoice/Invoice/000001/action/release").json()
    assert released["actionResult"] == "Done"
    assert visma.get("/v1/supplierInvoice/Invoice/000001").json()["status"] == "Open"


def test_credit_note_only_on_the_typed_path(visma: Visma) -> None:
    visma.post("/v1/supplierInvoice", invoice_body(documentType=w("CreditAdj")))
    assert visma.get("/v1/supplierInvoice/CreditAdj/000001").status_code == 200
    assert_visma_error(visma.get("/v1/supplierInvoice/000001"), 404, "not found")


def test_invoice_list_filters(visma: Visma) -> None:
    visma.post("/v1/supplierInvoice", invoice_body())
    visma.post("/v1/supplierInvoice", invoice_body(supplierNumber=w("50001")))
    got = visma.get("/v1/supplierInvoice", supplier="50001").json()
    assert [i["supplier"]["number"] for i in got] == ["50001"]
    assert got[0]["metadata"]["totalCount"] == 1


def test_supplier_create_update_and_etag(visma: Visma) -> None:
    answer = visma.post(
        "/v1/supplier",
        {
            "name": w("Adobe Systems Software Ireland Ltd"),
            "supplierClassId": w("2"),
            "currencyId": w("EUR"),
            "vatRegistrationId": w("IE6364992H"),
            "vatZoneId": w("EU"),
            "mainAddress": w({"addressLine1": w("4-6 Riverwalk"), "countryId": w("IE")}),
        },
    )
    assert answer.status_code == 201
    assert answer["Location"].endswith("/v1/supplier/50005")
    got = visma.get("/v1/supplier/50005")
    body = got.json()
    assert body["supplierClass"] == {"id": "2", "description": "Foreign"}
    assert body["mainAddress"]["country"]["id"] == "IE"
    assert body["status"] == "Active"
    stale = visma.put("/v1/supplier/50005", {"name": w("X")}, HTTP_IF_MATCH='"0"')
    assert_visma_error(stale, 412, "If-Match")
    ok = visma.put("/v1/supplier/50005", {"name": w("Adobe Ltd")}, HTTP_IF_MATCH=got["ETag"])
    assert ok.status_code == 204
    assert visma.get("/v1/supplier/50005").json()["name"] == "Adobe Ltd"


def test_supplier_paging_and_filters(visma: Visma) -> None:
    page = visma.get("/v1/supplier", pageNumber=2, pageSize=3).json()
    assert [s["number"] for s in page] == ["50004"]
    assert page[0]["metadata"] == {"totalCount": 4, "maxPageSize": 1000}
    by_vat = visma.get("/v1/supplier", vatRegistrationId="IE1234567T").json()
    assert [s["name"] for s in by_vat] == ["CloudSoft Ltd"]
    by_corporate = visma.get("/v1/supplier", corporateId="912345674").json()
    assert [s["number"] for s in by_corporate] == ["50003"]
    assert [s["number"] for s in visma.get("/v1/supplier", name="kontor").json()] == ["50003"]


def test_last_modified_filter_sees_edits_made_in_visma(visma: Visma) -> None:
    # The newest change so far (seeding takes a few milliseconds).
    since = max(s["lastModifiedDateTime"] for s in visma.get("/v1/supplier").json()).rstrip("Z")
    assert (
        visma.get(
            "/v1/supplier", lastModifiedDateTime=since, lastModifiedDateTimeCondition=">"
        ).json()
        == []
    )
    changed = visma.control("patch", "records/supplier/50002", {"name": "CloudSoft Ireland Ltd"})
    assert changed.status_code == 200
    got = visma.get("/v1/supplier", lastModifiedDateTime=since, lastModifiedDateTimeCondition=">")
    assert [s["name"] for s in got.json()] == ["CloudSoft Ireland Ltd"]
    assert_visma_error(
        visma.get("/v1/supplier", lastModifiedDateTime=since), 400, "lastModifiedDateTimeCondition"
    )
    visma.control("patch", "records/segmentValue/1/20", {"active": False})
    segment = visma.get("/v1/dimension/SUBACCOUNT").json()["segments"][0]
    assert {v["valueId"]: v["active"] for v in segment["segmentValues"]}["20"] is False
    visma.control("patch", "records/account/6800", {"active": False})
    accounts = visma.get(
        "/v1/account", lastModifiedDateTime=since, lastModifiedDateTimeCondition=">="
    ).json()
    assert [a["accountCD"] for a in accounts] == ["6800"]


def test_attachment_bytes_are_kept_exactly_through_revisions(visma: Visma) -> None:
    from integrations.sandbox.visma.models import Attachment

    visma.post("/v2/journaltransaction", journal_body())
    path = "/v2/journaltransaction/module/GL/000001/attachment"
    every_byte = bytes(range(256)) * 400
    first = visma.upload(path, "r.pdf", every_byte)
    attachment_id = first["Location"].rsplit("/", 1)[1]
    assert bytes(Attachment.objects.get(attachment_id=attachment_id).content) == every_byte
    revised = every_byte[::-1] + b"\x00"
    visma.upload(path, "r.pdf", revised)
    row = Attachment.objects.get(attachment_id=attachment_id)
    assert (row.revision, bytes(row.content)) == (2, revised)


def test_attachments_store_bytes_and_revise(visma: Visma) -> None:
    visma.post("/v2/journaltransaction", journal_body())
    first = visma.upload("/v2/journaltransaction/module/GL/000001/attachment", "r.pdf", b"%PDF-1")
    assert first.status_code == 201 and first.content == b""
    attachment_id = first["Location"].rsplit("/", 1)[1]
    second = visma.upload("/v2/journaltransaction/module/GL/000001/attachment", "r.pdf", b"%PDF-2")
    assert second["Location"].rsplit("/", 1)[1] == attachment_id
    meta = visma.get(f"/v1/attachment/{attachment_id}").json()
    assert meta["revision"] == 2 and meta["name"] == "r.pdf" and meta["sizeInBytes"] == 6
    line = visma.upload("/v2/journaltransaction/module/GL/000001/2/attachment", "l.pdf", b"x")
    assert line.status_code == 201
    got = visma.get("/v2/journaltransaction/000001").json()
    assert got["attachments"] == [{"name": "r.pdf", "id": attachment_id, "revision": 2}]
    assert got["journalTransactionLines"][1]["attachments"][0]["name"] == "l.pdf"
    missing_line = visma.upload("/v2/journaltransaction/module/GL/000001/9/attachment", "l", b"x")
    assert_visma_error(missing_line, 404, "Line 9")
    visma.post("/v1/supplierInvoice", invoice_body())
    invoice = visma.upload(
        "/v1/supplierInvoice/documentType/Invoice/000001/attachment", "inv.pdf", b"abc"
    )
    assert invoice.status_code == 201
    got_invoice = visma.get("/v1/supplierInvoice/000001").json()
    assert [a["name"] for a in got_invoice["attachments"]] == ["inv.pdf"]
    state: dict[str, Any] = visma.control("get", "state").json()
    assert len(state["attachments"]) == 3
