from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from integrations.core import errors
from integrations.core.http import api_calls_buffered
from integrations.core.models import ApiCall
from integrations.core.pagination import PagesUneven
from integrations.core.tokens import MemoryTokenStore
from integrations.pleo.export_api import MAX_FILE_BYTES
from integrations.pleo.types import BrokenExportItem, ExportItem, ItemUpdate
from tests.pleo.pleo_fixtures import (
    ACCESS,
    API,
    AUTH,
    COMPANY,
    ENTRY,
    EXPORT_JOB,
    JOB,
    JSON_UTF8,
    REFRESH,
    export_item,
    fresh_token,
    make_client,
    page,
)

pytestmark = pytest.mark.django_db


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@responses.activate
def test_export_jobs_list_sends_company_statuses_and_json_headers() -> None:
    responses.get(f"{API}/v3/export-jobs", json=page([EXPORT_JOB]))

    jobs = make_client().export_jobs_list(statuses=("pending", "in_progress"))

    assert [j.id for j in jobs] == [JOB]
    request = responses.calls[0].request
    assert query(responses.calls[0]) == {
        "company_id": [COMPANY],
        "statuses": ["pending", "in_progress"],
    }
    assert request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert request.headers["Accept"] == JSON_UTF8
    assert "Content-Type" not in request.headers  # no body, no content type


@responses.activate
def test_export_job_get_reads_the_data_envelope() -> None:
    responses.get(
        f"{API}/v3/export-jobs/{JOB}", json={"data": {**EXPORT_JOB, "status": "in_progress"}}
    )

    job = make_client().export_job_get(JOB)

    assert job.status == "in_progress"


@responses.activate
def test_export_job_get_404_raises_not_found_with_pleo_error_type() -> None:
    responses.get(
        f"{API}/v3/export-jobs/{JOB}",
        status=404,
        json={"type": "EXPORT_NOT_FOUND", "message": "Export job not found"},
    )

    with pytest.raises(errors.NotFound) as info:
        make_client().export_job_get(JOB)

    assert info.value.code == "EXPORT_NOT_FOUND"
    assert info.value.message == "Export job not found"
    assert len(responses.calls) == 1  # 4xx are not retried


@responses.activate
def test_export_job_event_posts_started_and_failed_with_reason() -> None:
    responses.post(f"{API}/v3/export-job-events", status=202)
    client = make_client()

    client.export_job_event(JOB, "started")
    client.export_job_event(
        JOB,
        "failed",
        failure_reason="Visma.net refused the login",
        failure_reason_type="authentication_failure",
    )

    bodies = [json.loads(c.request.body) for c in responses.calls]
    assert bodies == [
        {"jobId": JOB, "event": "started"},
        {
            "jobId": JOB,
            "event": "failed",
            "failureReason": "Visma.net refused the login",
            "failureReasonType": "authentication_failure",
        },
    ]
    assert responses.calls[0].request.headers["Content-Type"] == JSON_UTF8


def test_export_job_event_refuses_an_unknown_event() -> None:
    with pytest.raises(ValueError, match="done"):
        make_client().export_job_event(JOB, "done")


@responses.activate
def test_export_job_event_422_is_a_validation_failure_not_retried() -> None:
    responses.post(
        f"{API}/v3/export-job-events",
        status=422,
        json={"type": "INVALID_EXPORT_JOB_STATUS_CHANGE", "message": "Job is completed"},
    )

    with pytest.raises(errors.ValidationFailed) as info:
        make_client().export_job_event(JOB, "started")

    assert info.value.code == "INVALID_EXPORT_JOB_STATUS_CHANGE"
    assert len(responses.calls) == 1


@responses.activate
def test_export_items_are_read_through_three_pages() -> None:
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(5)]
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB})],
        json=page(
            [export_item(accountingEntryId=ids[0]), export_item(accountingEntryId=ids[1])],
            end="AAAA",
            more=True,
        ),
    )
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB, "after": "AAAA"})],
        json=page(
            [export_item(accountingEntryId=ids[2]), export_item(accountingEntryId=ids[3])],
            end="BBBB",
            more=True,
        ),
    )
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB, "after": "BBBB"})],
        json=page([export_item(accountingEntryId=ids[4])], end="CCCC"),
    )

    items = list(make_client().export_items_iter(JOB))

    assert [i.accounting_entry_id for i in items] == ids
    assert all(isinstance(i, ExportItem) for i in items)
    assert len(responses.calls) == 3


@responses.activate
@pytest.mark.parametrize(
    "second_page",
    [
        {"json": {"pagination": {"hasNextPage": False}}},
        {"json": {"data": None, "pagination": {"hasNextPage": False}}},
        {"json": [export_item()]},
        {"body": '{"data": [{"accountingEntryId": "1"'},
        {"body": "<html>Bad gateway</html>", "status": 200},
    ],
    ids=["no-data", "null-data", "not-an-object", "truncated", "html"],
)
def test_an_items_page_without_its_data_list_is_an_error_not_the_end(
    second_page: dict[str, Any],
) -> None:
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB})],
        json=page([export_item()], end="AAAA", more=True),
    )
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB, "after": "AAAA"})],
        **second_page,
    )

    read: list[Any] = []
    with pytest.raises(errors.UnexpectedAnswer) as caught:
        read.extend(make_client().export_items_iter(JOB))

    assert len(read) == 1  # the first page, then the broken one stops the listing
    assert "data" in caught.value.message or "JSON" in caught.value.message


def _entry_ids(n: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)]


def _items_pages(
    ids: list[str], *, size: int, total: int | None, short_at: int | None = None
) -> None:
    """The job's first page (with `total` when given) and every other page by offset."""
    first = page([export_item(accountingEntryId=i) for i in ids[:size]], end="AAAA", more=True)
    if total is not None:
        first["pagination"]["total"] = total
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB})],
        json=first,
    )
    for offset in range(size, len(ids), size):
        held = ids[offset : offset + size]
        if offset == short_at:
            held = held[:-1]
        responses.get(
            f"{API}/v3/export-items",
            match=[
                matchers.query_param_matcher(
                    {"job_id": JOB, "offset": str(offset), "limit": str(size)}
                )
            ],
            json=page([export_item(accountingEntryId=i) for i in held]),
        )


@responses.activate
def test_export_items_read_side_by_side_by_offset_come_back_in_order() -> None:
    ids = _entry_ids(23)
    _items_pages(ids, size=5, total=23)

    # The calls' log rows are written by this thread (in-memory SQLite locks across threads).
    with api_calls_buffered(batch=100, seconds=3600):
        items = list(make_client().export_items_iter(JOB, at_once=3))

    assert [i.accounting_entry_id for i in items] == ids
    assert len(responses.calls) == 5
    assert not any("after" in query(call) for call in responses.calls)
    offsets = sorted(int(query(call)["offset"][0]) for call in responses.calls[1:])
    assert offsets == [5, 10, 15, 20]


@responses.activate
def test_export_items_without_a_total_are_read_on_by_cursor() -> None:
    # `total` is optional in Pleo's CursorPageInfo: the rest is read by cursor.
    ids = _entry_ids(4)
    first = page([export_item(accountingEntryId=i) for i in ids[:2]], end="AAAA", more=True)
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB})],
        json=first,
    )
    responses.get(
        f"{API}/v3/export-items",
        match=[matchers.query_param_matcher({"job_id": JOB, "after": "AAAA"})],
        json=page([export_item(accountingEntryId=i) for i in ids[2:]]),
    )

    with api_calls_buffered(batch=100, seconds=3600):
        items = list(make_client().export_items_iter(JOB, at_once=4))

    assert [i.accounting_entry_id for i in items] == ids
    assert len(responses.calls) == 2


@responses.activate
def test_an_offset_page_of_the_wrong_size_is_uneven_not_a_short_job() -> None:
    ids = _entry_ids(12)
    _items_pages(ids, size=4, total=12, short_at=4)

    with pytest.raises(PagesUneven) as caught, api_calls_buffered(batch=100, seconds=3600):
        list(make_client().export_items_iter(JOB, at_once=2))

    assert "offset 4 held 3 records where 4 were due" in str(caught.value)


@responses.activate
def test_a_broken_item_is_yielded_as_broken_and_the_rest_continue() -> None:
    broken = export_item(accountingEntryId="11111111-1111-4111-8111-111111111111")
    broken["amount"]["inWalletCurrency"].pop("value")
    responses.get(f"{API}/v3/export-items", json=page([broken, export_item()]))

    first, second = list(make_client().export_items_iter(JOB))

    assert isinstance(first, BrokenExportItem)
    assert first.accounting_entry_id == "11111111-1111-4111-8111-111111111111"
    assert "amount.inWalletCurrency.value" in first.error
    assert isinstance(second, ExportItem) and second.accounting_entry_id == ENTRY


@responses.activate
def test_export_items_400_missing_contra_accounts_surfaces_the_type() -> None:
    responses.get(
        f"{API}/v3/export-items",
        status=400,
        json={
            "type": "MISSING_CONTRA_ACCOUNTS",
            "message": "Contra accounts are not fully configured",
        },
    )

    with pytest.raises(errors.ValidationFailed) as info:
        list(make_client().export_items_iter(JOB))

    assert info.value.code == "MISSING_CONTRA_ACCOUNTS"


def _update_answer(request: Any) -> tuple[int, dict[str, str], str]:
    sent = json.loads(request.body)
    data = [
        {"accountingEntryId": u["accountingEntryId"], "exportJobId": JOB, "status": u["status"]}
        for u in sent
        if not u["accountingEntryId"].endswith("0007")
    ]
    errs = [
        {
            "accountingEntryId": u["accountingEntryId"],
            "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
            "message": "gone",
        }
        for u in sent
        if u["accountingEntryId"].endswith("0007")
    ]
    return 200, {"Content-Type": JSON_UTF8}, json.dumps({"data": data, "errors": errs})


@responses.activate
def test_item_updates_are_sent_in_batches_of_100_and_errors_collected() -> None:
    responses.add_callback(
        responses.PUT, f"{API}/v3/export-jobs/{JOB}/items", callback=_update_answer
    )
    updates = [
        ItemUpdate(f"00000000-0000-4000-8000-{i:012d}", "successful", external_id=f"GL{i}")
        for i in range(250)
    ]

    result = make_client().export_items_update(JOB, updates)

    sizes = [len(json.loads(c.request.body)) for c in responses.calls]
    assert sizes == [100, 100, 50]
    assert len(result.updated) == 249
    assert result.errors == [
        ("00000000-0000-4000-8000-000000000007", "ACCOUNTING_ENTRY_DOES_NOT_EXIST", "gone")
    ]
    first = json.loads(responses.calls[0].request.body)[0]
    assert first == {
        "accountingEntryId": "00000000-0000-4000-8000-000000000000",
        "status": "successful",
        "externalId": "GL0",
    }


@responses.activate
def test_item_update_put_is_retried_after_a_5xx() -> None:
    url = f"{API}/v3/export-jobs/{JOB}/items"
    responses.put(url, status=503)
    responses.put(
        url,
        json={
            "data": [{"accountingEntryId": ENTRY, "exportJobId": JOB, "status": "successful"}],
            "errors": [],
        },
    )
    slept: list[float] = []

    result = make_client(slept=slept).export_items_update(JOB, [ItemUpdate(ENTRY, "successful")])

    assert result.updated == [ENTRY]
    assert len(responses.calls) == 2 and len(slept) == 1


@responses.activate
def test_429_with_retry_after_is_waited_out() -> None:
    responses.get(f"{API}/v3/export-jobs/{JOB}", status=429, headers={"Retry-After": "12"})
    responses.get(f"{API}/v3/export-jobs/{JOB}", json={"data": EXPORT_JOB})
    slept: list[float] = []

    job = make_client(slept=slept).export_job_get(JOB)

    assert job.id == JOB
    assert slept == [12.0]


@responses.activate
def test_401_refreshes_the_token_once_and_retries() -> None:
    responses.get(f"{API}/v3/export-jobs/{JOB}", status=401, json={"type": "UNAUTHORIZED"})
    responses.get(f"{API}/v3/export-jobs/{JOB}", json={"data": EXPORT_JOB})
    responses.post(
        f"{AUTH}/oauth/token",
        json={
            "access_token": "access-after-401",
            "refresh_token": "refresh-after-401",
            "expires_in": 900,
        },
    )
    store = MemoryTokenStore(fresh_token())

    make_client(store).export_job_get(JOB)

    api_calls = [c for c in responses.calls if c.request.url.startswith(API)]
    assert api_calls[1].request.headers["Authorization"] == "Bearer access-after-401"
    assert parse_qs(str(responses.calls[1].request.body))["refresh_token"] == [REFRESH]
    stored = store.load()
    assert stored is not None and stored.refresh_token == "refresh-after-401"


@responses.activate
def test_a_second_401_is_raised() -> None:
    responses.get(f"{API}/v3/export-jobs/{JOB}", status=401, json={"type": "UNAUTHORIZED"})
    responses.post(
        f"{AUTH}/oauth/token", json={"access_token": "a2", "refresh_token": "r2", "expires_in": 900}
    )

    with pytest.raises(errors.Unauthorized):
        make_client().export_job_get(JOB)

    assert [c.request.method for c in responses.calls] == ["GET", "POST", "GET"]


@responses.activate
def test_api_calls_log_no_tokens() -> None:
    responses.get(f"{API}/v3/export-jobs/{JOB}", json={"data": EXPORT_JOB})

    make_client().export_job_get(JOB)

    call = ApiCall.objects.get()
    assert call.service == "pleo"
    assert ACCESS not in str(
        [call.url, call.request_headers, call.request_excerpt, call.response_excerpt]
    )


RECEIPT = "https://files.pleo.io/receipts/1.pdf?X-Amz-Signature=abcdef&X-Amz-Expires=86400"


@responses.activate
def test_file_download_streams_without_the_authorization_header() -> None:
    responses.get(RECEIPT, body=b"%PDF-1.7 receipt", content_type="application/pdf")

    with make_client().file_download(RECEIPT) as receipt:
        assert receipt.read() == b"%PDF-1.7 receipt"
        assert (receipt.size, receipt.content_type) == (16, "application/pdf")
    assert "Authorization" not in responses.calls[0].request.headers
    call = ApiCall.objects.get()
    assert "abcdef" not in call.url


@responses.activate
@pytest.mark.parametrize(("status", "error"), [(403, errors.Forbidden), (404, errors.NotFound)])
def test_an_expired_link_raises_so_the_caller_fetches_the_item_again(
    status: int, error: type[Exception]
) -> None:
    responses.get(
        RECEIPT,
        status=status,
        body="<Error><Code>AccessDenied</Code></Error>",
        content_type="application/xml",
    )

    with pytest.raises(error):
        make_client().file_download(RECEIPT)

    assert len(responses.calls) == 1


@responses.activate
def test_file_over_30_mb_is_refused_by_content_length() -> None:
    responses.get(
        RECEIPT,
        body=b"x",
        headers={"Content-Length": str(MAX_FILE_BYTES + 1)},
        auto_calculate_content_length=False,
    )

    with pytest.raises(errors.ValidationFailed) as info:
        make_client().file_download(RECEIPT)

    assert info.value.code == "receipt_file_size_limit_exceeded"


@responses.activate
def test_file_over_30_mb_is_refused_while_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("integrations.pleo.export_api.MAX_FILE_BYTES", 1000)
    responses.get(RECEIPT, body=b"y" * 1001, content_type="image/png")

    with pytest.raises(errors.ValidationFailed, match="larger than"):
        make_client().file_download(RECEIPT)


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        {"body": "<html>Bad gateway</html>", "status": 200},
        {"body": '{"data": {"id": "'},
        {"json": {"job": EXPORT_JOB}},
        {"json": {"data": {**EXPORT_JOB, "companyId": None}}},
        {"json": {"data": {**EXPORT_JOB, "createdAt": "yesterday"}}},
        {"json": {"data": {**EXPORT_JOB, "numberOfItems": "many"}}},
    ],
    ids=["html", "truncated", "no-data", "no-company", "bad-date", "bad-count"],
)
def test_an_off_spec_export_job_is_an_unexpected_answer(answer: dict[str, Any]) -> None:
    responses.get(f"{API}/v3/export-jobs/{JOB}", **answer)

    with pytest.raises(errors.UnexpectedAnswer) as caught:
        make_client().export_job_get(JOB)

    assert caught.value.service == "pleo"
    assert not caught.value.retryable


@responses.activate
def test_an_off_spec_record_in_a_job_listing_is_an_unexpected_answer() -> None:
    responses.get(f"{API}/v3/export-jobs", json=page([EXPORT_JOB, {"id": JOB}]))

    with pytest.raises(errors.UnexpectedAnswer) as caught:
        make_client().export_jobs_list()

    assert "export job" in caught.value.message
