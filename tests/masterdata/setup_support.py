"""Builders for the setup page and API tests: users per role, a connected connection and a small
mirror shaped like the demo company's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from integrations.connections.models import Connection
from integrations.masterdata.models import (
    VismaAccount,
    VismaPaymentMethod,
    VismaSegment,
    VismaSegmentValue,
    VismaSupplier,
    VismaVatCategory,
)
from integrations.pleo.types import ChartAccount
from tests.membership import connection_admits_every_user, user_joins_every_connection


def user_with_role(role: str | None, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"user-{role or 'none'}", password="pw-12345678")
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user_joins_every_connection(user)


def connection_connected(name: str = "Demo") -> Connection:
    return connection_admits_every_user(_connection_connected(name))


def _connection_connected(name: str) -> Connection:
    return Connection.objects.create(
        name=name,
        status=Connection.Status.CONNECTED,
        pleo_company_id="company-1",
        pleo_access_token="pleo-access",
        pleo_refresh_token="pleo-refresh",
        pleo_token_expires_at=timezone.now() + timedelta(hours=1),
        pleo_connected_at=timezone.now(),
        visma_auth_mode=Connection.VismaAuthMode.SERVICE,
        visma_tenant_id="tenant-1",
        visma_connected_at=timezone.now(),
        visma_access_token="visma-access",
        visma_token_expires_at=timezone.now() + timedelta(hours=1),
        visma_branch_number="1",
        visma_company_name="Demo AS",
    )


# (number, description, type, currency, tax category, active)
ACCOUNTS = [
    ("1925", "Pleo NOK", "Asset", "NOK", "", True),
    ("1926", "Pleo EUR", "Asset", "EUR", "", True),
    ("1930", "Bank", "Asset", "", "", True),
    ("1999", "Old wallet", "Asset", "", "", False),
    ("2700", "Output VAT", "Liability", "", "", True),
    ("2710", "Input VAT", "Liability", "", "", True),
    ("2915", "Employee liability", "Liability", "", "", True),
    ("6540", "Equipment", "Expense", "", "1", True),
    ("7140", "Travel", "Expense", "", "3", True),
    ("7999", "Closed expense", "Expense", "", "1", False),
]
# (id, description, rate, reverse charge, active)
VAT_CATEGORIES = [
    ("1", "Input VAT 25 %", Decimal("25"), False, True),
    ("3", "Input VAT 12 %", Decimal("12"), False, True),
    ("9", "Old VAT", Decimal("8"), False, False),
    ("R", "Reverse charge services", Decimal("25"), True, True),
]


@dataclass
class Mirror:
    connection: Connection
    accounts: dict[str, VismaAccount] = field(default_factory=dict)
    department: VismaSegment | None = None
    project: VismaSegment | None = None


def mirror_seed(connection: Connection, *, pleo_ids: bool = True) -> Mirror:
    mirror = Mirror(connection=connection)
    for number, description, type_, currency, tax, active in ACCOUNTS:
        mirror.accounts[number] = VismaAccount.objects.create(
            connection=connection,
            number=number,
            description=description,
            type=type_,
            currency=currency,
            tax_category=tax,
            active=active,
            pleo_id=f"pleo-acc-{number}" if pleo_ids and type_ == "Expense" else "",
        )
    for vat_id, description, rate, reverse, active in VAT_CATEGORIES:
        VismaVatCategory.objects.create(
            connection=connection,
            vat_category_id=vat_id,
            description=description,
            rate=rate,
            reverse_charge=reverse,
            active=active,
        )
    mirror.department = VismaSegment.objects.create(
        connection=connection, dimension_id="SUBACCOUNT", segment_id=1, description="DEPARTMENT"
    )
    mirror.project = VismaSegment.objects.create(
        connection=connection, dimension_id="SUBACCOUNT", segment_id=2, description="PROJECT"
    )
    for segment, value_id, active in (
        (mirror.department, "00", True),
        (mirror.department, "10", True),
        (mirror.department, "99", False),
        (mirror.project, "000", True),
        (mirror.project, "100", True),
    ):
        VismaSegmentValue.objects.create(
            segment=segment, value_id=value_id, description=f"Value {value_id}", active=active
        )
    VismaSupplier.objects.create(
        connection=connection, number="50001", name="Pleo default vendor", status="Active"
    )
    VismaSupplier.objects.create(
        connection=connection, number="50002", name="Gone AS", status="Inactive", active=False
    )
    VismaPaymentMethod.objects.create(
        connection=connection, payment_method_id="PLEO", description="Pleo card", use_in_ap=True
    )
    return mirror


def chart_account(number: str, name: str, tax: str | None = None, **extra: Any) -> ChartAccount:
    return ChartAccount(
        id=extra.get("id", f"pleo-acc-{number}"),
        external_id=extra.get("external_id", number),
        name=name,
        code=number,
        archived=extra.get("archived", False),
        tax_code_external_id=tax,
    )


class FakePleo:
    """Stands in for `PleoClient` at the seam the setup uses: the chart of accounts."""

    def __init__(self, accounts: list[ChartAccount], *, fail_update: Exception | None = None):
        self.accounts = {a.id: a for a in accounts}
        self.fail_update = fail_update
        self.updates: list[dict[str, Any]] = []

    def chart_accounts_search(self, **_: Any) -> list[ChartAccount]:
        return list(self.accounts.values())

    def chart_account_update(self, account_id: str, **fields: Any) -> ChartAccount:
        if self.fail_update is not None:
            raise self.fail_update
        self.updates.append({"id": account_id, **fields})
        old = self.accounts[account_id]
        new = ChartAccount(
            id=old.id,
            external_id=old.external_id,
            name=fields["name"],
            code=fields["code"],
            archived=fields["archived"],
            tax_code_external_id=fields["tax_code_external_id"],
        )
        self.accounts[account_id] = new
        return new
