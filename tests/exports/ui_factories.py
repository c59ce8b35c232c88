"""Builders for the Exports pages and admin tests: users per role, a connection, runs with items
as the runtime stores them, and the API calls made for an item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import Group, User

from integrations.connections.fixes import FixTarget
from integrations.connections.models import Connection
from integrations.core.models import ApiCall
from integrations.core.roles import FINANCE, SUPPORT, roles_sync
from integrations.exports.models import AttachmentUpload, ExportItem, ExportRun
from tests.membership import connection_admits_every_user, user_joins_every_connection


def user_with_role(role: str | None, username: str | None = None, *, staff: bool = False) -> User:
    roles_sync()
    user = User.objects.create_user(
        username or f"user-{role or 'none'}", password="pw-12345678", is_staff=staff
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user_joins_every_connection(user)


def finance(**kwargs: Any) -> User:
    return user_with_role(FINANCE, "fiona", **kwargs)


def support(**kwargs: Any) -> User:
    return user_with_role(SUPPORT, "sam", **kwargs)


def connection_make(name: str = "Nordlys AS") -> Connection:
    return connection_admits_every_user(
        Connection.objects.create(
            name=name, pleo_company_id="company-1", status=Connection.Status.CONNECTED
        )
    )


def run_make(connection: Connection, *, job_id: str = "job-1", **fields: Any) -> ExportRun:
    values: dict[str, Any] = {"status": ExportRun.Status.COMPLETED_WITH_ERRORS}
    values.update(fields)
    return ExportRun.objects.create(connection=connection, pleo_job_id=job_id, **values)


def payload(
    entry_id: str,
    *,
    type: str = "card_purchase",
    amount: int = 50000,
    currency: str = "NOK",
    supplier: str = "Clas Ohlson",
    user: str = "Jane Doe",
    date: str = "2026-03-14T10:15:00Z",
) -> dict[str, Any]:
    """An ExportItemV3 as Pleo sends it (amounts in minor units)."""
    money = {"currency": currency, "value": amount}
    return {
        "accountingEntryId": entry_id,
        "companyId": "company-1",
        "type": type,
        "date": date,
        "amount": {"inSupplierCurrency": money, "inWalletCurrency": money},
        "accountingEntryLines": [
            {
                "accountingEntryLineId": f"{entry_id}-l1",
                "lineAmount": {"inSupplierCurrency": money, "inWalletCurrency": money},
                "account": {"id": "cat-1", "name": "Equipment", "code": "6540"},
                "tags": [],
            }
        ],
        "files": [],
        "supplier": {"name": supplier, "country": "NO"},
        "user": {"id": "user-1", "name": user},
        "_links": {"web": {"exportItem": f"https://app.pleo.io/export/items/{entry_id}"}},
    }


def item_make(
    run: ExportRun,
    entry_id: str,
    *,
    status: str = ExportItem.Status.SUCCESSFUL,
    reason_type: str = "",
    reason: str = "",
    visma_number: str = "",
    visma_document_type: str = "",
    fix: FixTarget | None = None,
    **payload_kwargs: Any,
) -> ExportItem:
    return ExportItem.objects.create(
        run=run,
        connection=run.connection,
        accounting_entry_id=entry_id,
        item_type=payload_kwargs.get("type", "card_purchase"),
        payload=payload(entry_id, **payload_kwargs),
        status=status,
        failure_reason_type=reason_type,
        failure_reason=reason,
        fix_page=fix.page if fix else "",
        fix_field=fix.field if fix else "",
        visma_number=visma_number,
        visma_document_type=visma_document_type,
        visma_url=(
            f"https://integration.visma.net/API/controller/api/v1/journaltransaction/{visma_number}"
            if visma_number
            else ""
        ),
    )


def api_call_make(item: ExportItem, **fields: Any) -> ApiCall:
    values: dict[str, Any] = {
        "service": ApiCall.Service.VISMA,
        "method": "POST",
        "url": "https://integration.visma.net/API/controller/api/v2/journaltransaction",
        "path": "/v2/journaltransaction",
        "status_code": 400,
        "duration_ms": 182,
        "request_excerpt": '{"journalTransactionLines": [{"accountNumber": {"value": "6999"}}]}',
        "response_excerpt": '{"message": "Account 6999 is inactive."}',
        "connection_id": item.connection_id,
        "export_run_id": item.run_id,
        "export_item_id": item.pk,
    }
    values.update(fields)
    call = ApiCall.objects.create(**values)
    if "created_at" in fields:
        ApiCall.objects.filter(pk=call.pk).update(created_at=fields["created_at"])
    return call


def upload_make(item: ExportItem, **fields: Any) -> AttachmentUpload:
    values: dict[str, Any] = {
        "file_key": "k" * 64,
        "filename": "receipt.jpg",
        "size": 48213,
        "content_type": "image/jpeg",
        "status": AttachmentUpload.Status.UPLOADED,
        "visma_attachment_id": "att-77",
    }
    values.update(fields)
    return AttachmentUpload.objects.create(item=item, **values)


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 9, 0, tzinfo=UTC)
