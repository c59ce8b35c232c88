from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from integrations.connections.models import AccountMapping, Connection
from integrations.core.roles import FINANCE, SUPPORT, roles_sync
from integrations.masterdata.models import (
    VismaCashAccount,
    VismaCreditTerm,
    VismaCurrency,
    VismaPaymentMethod,
    VismaSupplier,
    VismaSupplierClass,
    VismaVatZone,
)
from tests.membership import connection_admits_every_user, user_joins_every_connection


@pytest.fixture
def connection(db: None) -> Connection:
    return connection_admits_every_user(
        Connection.objects.create(
            name="Demo AS", pleo_company_id="c-1", status=Connection.Status.CONNECTED
        )
    )


@pytest.fixture
def reference(connection: Connection) -> Connection:
    """The mirrored lists the vendor form chooses from."""
    c = connection
    VismaSupplierClass.objects.create(connection=c, supplier_class_id="STD", description="Standard", payment_method_id="BANK")  # fmt: skip
    VismaCreditTerm.objects.create(connection=c, credit_terms_id="30D", description="30 days")
    VismaPaymentMethod.objects.create(connection=c, payment_method_id="BANK", description="Bank", use_in_ap=True)  # fmt: skip
    VismaPaymentMethod.objects.create(connection=c, payment_method_id="CASH", description="Cash", use_in_ap=False)  # fmt: skip
    VismaCashAccount.objects.create(connection=c, number="1925", description="Pleo NOK", currency="NOK")  # fmt: skip
    VismaVatZone.objects.create(connection=c, vat_zone_id="NO", description="Domestic")
    VismaCurrency.objects.create(connection=c, currency_id="NOK", description="Krone", is_base=True)
    VismaCurrency.objects.create(connection=c, currency_id="EUR", description="Euro")
    VismaSupplier.objects.create(connection=c, number="50001", name="Acme  AS", vat_registration_id="NO 999 999 999 MVA")  # fmt: skip
    AccountMapping.objects.create(connection=c, wallet_accounts={"NOK": "1925", "EUR": "1926"})
    return c


def _user(name: str, group: str | None) -> User:
    roles_sync()
    user = User.objects.create_user(name, password="pw")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user_joins_every_connection(user)


@pytest.fixture
def finance_user(db: None) -> User:
    return _user("fiona", FINANCE)


@pytest.fixture
def support_user(db: None) -> User:
    return _user("sam", SUPPORT)
