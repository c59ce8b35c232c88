"""The support admin: "what happened to expense X" from the item's page alone, runs with their
counts and items, read-only records, and the retry action behind its permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from integrations.connections.models import AccountMapping
from integrations.core.models import ApiCall
from integrations.exports import services as export_services
from integrations.exports.models import AttachmentUpload, ExportItem, ExportRun
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db

ENTRY = "5954a1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
RECEIPT_REASON = (
    "Booked as journal transaction 000123, but the receipt receipt.jpg could not be uploaded: "
    "Visma.net answered 413 (file too large)"
)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def support_client() -> Client:
    return _client(f.support(staff=True))


@pytest.fixture
def run() -> ExportRun:
    return f.run_make(f.connection_make(), items_total=2, items_done=2, items_failed=1)


@pytest.fixture
def expense_x(run: ExportRun) -> ExportItem:
    """Booked in Visma.net, but its receipt was refused: the item failed with that reason."""
    item = f.item_make(
        run,
        ENTRY,
        status="failed",
        reason_type="receipt_upload_failure",
        reason=RECEIPT_REASON,
        visma_number="000123",
        supplier="Clas Ohlson",
    )
    item.plan = {
        "kind": "journal",
        "reference": "PLEO-5954a1c23b",
        "lines": [
            {"account": "6540", "debit": "400.00", "credit": "0", "vatCodeId": "1"},
            {"account": "2710", "debit": "100.00", "credit": "0"},
            {"account": "1925", "debit": "0", "credit": "500.00"},
        ],
    }
    item.save()
    f.api_call_make(
        item,
        method="PUT",
        path="/v2/journaltransaction",
        status_code=201,
        request_excerpt='{"description": {"value": "PLEO-5954a1c23b Clas Ohlson"}}',
        response_excerpt="",
        created_at=f.at(1),
    )
    f.api_call_make(
        item,
        method="POST",
        path="/v1/journaltransaction/000123/attachment",
        status_code=413,
        duration_ms=2210,
        request_excerpt="<multipart body, 26214400 bytes: receipt.jpg>",
        response_excerpt='{"message": "Request entity too large: attachments are limited to 25 MB"}',
        created_at=f.at(2),
    )
    # A call made for another item is not shown on this one.
    other = f.item_make(run, "other-entry", visma_number="000124")
    f.api_call_make(other, path="/v1/other-path", response_excerpt="not this one")
    f.upload_make(
        item,
        status=AttachmentUpload.Status.FAILED,
        visma_attachment_id="",
        failure_reason_type="receipt_upload_failure",
        error="413 Request entity too large",
    )
    return item


def test_support_reads_what_happened_to_an_expense_from_its_page(
    support_client: Client, expense_x: ExportItem
) -> None:
    # Found by its Pleo accounting entry id…
    changelist = support_client.get(reverse("admin:exports_exportitem_changelist"), {"q": ENTRY})
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].queryset) == [expense_x]
    # …and its page says everything.
    page = support_client.get(reverse("admin:exports_exportitem_change", args=[expense_x.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "receipt_upload_failure" in html
    assert "Booked as journal transaction 000123, but the receipt receipt.jpg" in html
    assert "000123" in html
    # Links to Pleo and Visma.net.
    assert f'href="https://app.pleo.io/export/items/{ENTRY}"' in html
    assert (
        'href="https://integration.visma.net/API/controller/api/v1/journaltransaction/000123"'
        in html
    )
    # The failing request and its response, after the create that worked.
    assert "<code>POST /v1/journaltransaction/000123/attachment</code>" in html
    assert "<td>413</td>" in html
    assert "2210 ms" in html
    assert "&lt;multipart body, 26214400 bytes: receipt.jpg&gt;" in html
    assert "Request entity too large: attachments are limited to 25 MB" in html
    assert html.index("PUT /v2/journaltransaction") < html.index(
        "POST /v1/journaltransaction/000123/attachment"
    )
    assert "/v1/other-path" not in html
    # The planned document, pretty-printed.
    assert "&quot;account&quot;: &quot;6540&quot;" in html
    assert "PLEO-5954a1c23b" in html
    # The receipt and its upload status.
    assert "receipt.jpg" in html
    assert "413 Request entity too large" in html


def test_items_can_be_searched_by_visma_number_and_reason(
    support_client: Client, expense_x: ExportItem
) -> None:
    url = reverse("admin:exports_exportitem_changelist")
    for query in ("000123", "could not be uploaded"):
        response = support_client.get(url, {"q": query})
        assert expense_x in list(response.context["cl"].queryset), query
    filtered = support_client.get(
        url, {"status__exact": "failed", "failure_reason_type": "receipt_upload_failure"}
    )
    assert list(filtered.context["cl"].queryset) == [expense_x]


def test_run_page_lists_counts_and_items_read_only(
    support_client: Client, run: ExportRun, expense_x: ExportItem
) -> None:
    changelist = support_client.get(
        reverse("admin:exports_exportrun_changelist"), {"status__exact": run.status}
    )
    assert changelist.status_code == 200
    shown = list(changelist.context["cl"].queryset)
    assert shown == [run]
    assert (shown[0].successful, shown[0].failed) == (1, 1)
    page = support_client.get(reverse("admin:exports_exportrun_change", args=[run.pk]))
    html = page.content.decode()
    assert ENTRY in html and "other-entry" in html
    assert f"?export_run_id={run.pk}" in html
    assert 'name="_save"' not in html
    # The inline items are shown, not editable.
    assert 'name="items-0-status"' not in html
    assert 'name="items-0-DELETE"' not in html


@pytest.mark.parametrize("who", ["support", "finance"])
def test_export_records_cannot_be_changed_in_the_admin(who: str, expense_x: ExportItem) -> None:
    user = f.support(staff=True) if who == "support" else f.finance(staff=True)
    client = _client(user)
    url = reverse("admin:exports_exportitem_change", args=[expense_x.pk])
    response = client.post(url, {"status": "successful", "failure_reason": ""})
    assert response.status_code == 403
    expense_x.refresh_from_db()
    assert expense_x.status == "failed"
    delete = reverse("admin:exports_exportitem_delete", args=[expense_x.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ExportItem.objects.filter(pk=expense_x.pk).exists()
    assert client.get(reverse("admin:exports_exportitem_add")).status_code == 403
    upload = AttachmentUpload.objects.get(item=expense_x)
    upload_url = reverse("admin:exports_attachmentupload_change", args=[upload.pk])
    assert client.get(upload_url).status_code == 200
    assert client.post(upload_url, {"status": "uploaded"}).status_code == 403


def test_support_can_read_the_api_call_rows(support_client: Client, expense_x: ExportItem) -> None:
    # The run page links all its calls: the API call list filtered by run.
    listed = support_client.get(
        reverse("admin:core_apicall_changelist"), {"export_run_id": expense_x.run_id}
    )
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 3
    call = ApiCall.objects.get(export_item_id=expense_x.pk, status_code=413)
    page = support_client.get(reverse("admin:core_apicall_change", args=[call.pk]))
    assert page.status_code == 200
    assert "attachments are limited to 25 MB" in page.content.decode()


def _action(client: Client, items: list[ExportItem]) -> Any:
    return client.post(
        reverse("admin:exports_exportitem_changelist"),
        {"action": "retry_failed", "_selected_action": [i.pk for i in items]},
        follow=True,
    )


def test_retry_action_retries_the_failed_items_with_the_current_mappings(
    support_client: Client,
    expense_x: ExportItem,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> export_services.RetryResult:
        calls.append(kwargs)
        return export_services.RetryResult(runs=[ExportRun(pleo_job_id="job-again")])

    monkeypatch.setattr(export_services, "export_items_retry", fake)
    booked = ExportItem.objects.get(accounting_entry_id="other-entry")
    response = _action(support_client, [expense_x, booked])
    assert calls == [{"item_ids": [expense_x.pk], "by": "sam"}]
    assert "new Pleo job job-again" in response.content.decode()


def test_retry_action_needs_the_retry_permission(
    expense_x: ExportItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(export_services, "export_items_retry", lambda **kw: calls.append(kw))
    viewer = f.user_with_role(None, "viewer", staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_exportitem", "view_exportrun"])
    )
    client = _client(viewer)
    page = client.get(reverse("admin:exports_exportitem_changelist"))
    assert page.status_code == 200
    assert "retry_failed" not in page.content.decode()
    _action(client, [expense_x])
    assert calls == []
    # The support group holds it (core.roles grants every retry_ permission).
    assert f.support(staff=True).has_perm("exports.retry_exportitem")


def test_audit_history_is_read_only_for_support(support_client: Client, run: ExportRun) -> None:
    mapping = AccountMapping.objects.create(
        connection=run.connection, wallet_accounts={"NOK": "1925"}, tax_account="2710"
    )
    mapping.tax_account = "2711"
    mapping.save()
    history = mapping.history.order_by("history_id").first()  # type: ignore[attr-defined]
    assert history is not None
    url = reverse(
        "admin:connections_accountmapping_simple_history", args=[mapping.pk, history.history_id]
    )
    assert support_client.get(url).status_code == 200
    response = support_client.post(
        url, {"tax_account": "2710", "wallet_accounts": '{"NOK": "1925"}'}
    )
    assert response.status_code == 403
    mapping.refresh_from_db()
    assert mapping.tax_account == "2711"
