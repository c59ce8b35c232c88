"""Canned Pleo answers in the shapes of the official specs, and client factories for tests."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from django.utils import timezone

from integrations.core.tokens import MemoryTokenStore, OAuthToken
from integrations.pleo.client import PleoClient, PleoOAuth

API = "https://external.pleo.io"
AUTH = "https://auth.pleo.io"
COMPANY = "0b3e2f6a-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
JOB = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ENTRY = "59540a1e-7a7a-4c1b-9a62-4b7d1d3b8f00"
LINE = "0c76a1f0-2b8e-4f0a-9d8e-5f2b9d0e1a11"
ACCESS = "access-token-abc123"
REFRESH = "refresh-token-def456"
CLIENT_SECRET = "client-secret-xyz789"
JSON_UTF8 = "application/json;charset=UTF-8"


def wallet(supplier: int, wallet_minor: int, sc: str = "EUR", wc: str = "NOK") -> dict[str, Any]:
    return {
        "inSupplierCurrency": {"currency": sc, "value": supplier},
        "inWalletCurrency": {"currency": wc, "value": wallet_minor},
    }


EXPORT_ITEM: dict[str, Any] = {
    "_links": {
        "web": {"exportItem": "https://app.pleo.io/export/59540a1e"},
        "mobile": {"exportItem": "pleo://export/59540a1e"},
        "api": {"exportItem": "https://external.pleo.io/v3/export-items/59540a1e"},
    },
    "accountingEntryId": ENTRY,
    "companyId": COMPANY,
    "type": "card_purchase",
    "date": "2025-12-10T15:46:34Z",
    "amount": wallet(7420, 86250),
    "note": "Printer ink",
    "files": [
        {"url": "https://files.pleo.io/r/1.jpg?sig=abc", "type": "image/jpeg", "size": 13010}
    ],
    "supplier": {"name": "Target", "categoryCode": "5943", "country": "DE"},
    "vendor": {
        "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "name": "Target GmbH",
        "code": "20045",
        "externalId": "20045",
        "defaultCurrency": "EUR",
        "country": "DE",
    },
    "bookkeeping": {"method": "journal"},
    "contraAccount": {
        "id": "4fa85f64-5717-4562-b3fc-2c963f66afa7",
        "name": "Pleo NOK Account",
        "code": "1940",
    },
    "user": {
        "id": "6b71a2c4-5717-4562-b3fc-2c963f66afa8",
        "name": "Luke Richardson",
        "code": "E042",
    },
    "team": {"id": "5fa85f64-5717-4562-b3fc-2c963f66afa9", "name": "Engineering", "code": "5678"},
    "accountingEntryLines": [
        {
            "accountingEntryLineId": LINE,
            "lineAmount": wallet(7420, 86250),
            "netAmount": wallet(5936, 69000),
            "account": {
                "id": "79660000-5717-4562-b3fc-2c963f66afaa",
                "name": "Office supplies",
                "code": "6800",
                "identifier": "6800",
            },
            "tags": [
                {"id": "8fa85f64-5717-4562-b3fc-2c963f66afab", "code": "ENG", "groupCode": "DEPT"}
            ],
            "tax": {
                "id": "9fa85f64-5717-4562-b3fc-2c963f66afac",
                "code": "1",
                "rate": 0.25,
                "type": "inclusive",
                "amount": wallet(1484, 17250),
                "ingoingTaxAccount": "2710",
                "outgoingTaxAccount": "2700",
            },
        }
    ],
    "additionalInformation": {"reconciliationId": "BOOK-2025-0042", "reconciledEntries": []},
}


def export_item(**changes: Any) -> dict[str, Any]:
    item = copy.deepcopy(EXPORT_ITEM)
    item.update(changes)
    return item


EXPORT_JOB: dict[str, Any] = {
    "id": JOB,
    "companyId": COMPANY,
    "status": "pending",
    "createdAt": "2025-12-10T16:00:00Z",
    "createdBy": "6b71a2c4-5717-4562-b3fc-2c963f66afa8",
    "expiresIn": 3600,
    "isInteractive": True,
    "numberOfItems": 1,
    "vendorBasedBookkeeping": True,
    "lastUpdatedAt": "2025-12-10T16:00:00Z",
}


def page(data: list[Any], *, end: str | None = None, more: bool = False) -> dict[str, Any]:
    pagination: dict[str, Any] = {
        "hasNextPage": more,
        "hasPreviousPage": False,
        "currentRequestPagination": {"parameters": {}},
    }
    if end is not None:
        pagination["endCursor"] = end
    return {"data": data, "pagination": pagination}


def fresh_token() -> OAuthToken:
    return OAuthToken(
        access_token=ACCESS,
        refresh_token=REFRESH,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def expired_token() -> OAuthToken:
    return OAuthToken(
        access_token="old-access",
        refresh_token=REFRESH,
        expires_at=timezone.now() - timedelta(minutes=1),
    )


def make_oauth(store: MemoryTokenStore | None = None, **kwargs: Any) -> PleoOAuth:
    return PleoOAuth(
        auth_url=AUTH,
        client_id="client-id",
        client_secret=CLIENT_SECRET,
        token_store=store if store is not None else MemoryTokenStore(fresh_token()),
        **kwargs,
    )


def make_client(
    store: MemoryTokenStore | None = None, slept: list[float] | None = None
) -> PleoClient:
    sleeps = slept if slept is not None else []
    return PleoClient(
        base_url=API,
        auth=make_oauth(store, sleep=sleeps.append, max_wait=60),
        company_id=COMPANY,
        sleep=sleeps.append,
        max_wait=60,
    )
