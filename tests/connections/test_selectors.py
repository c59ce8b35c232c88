from __future__ import annotations

import pytest

from integrations.connections.models import Connection
from integrations.connections.selectors import connection_get_for_pleo_company

pytestmark = pytest.mark.django_db


def test_connection_for_a_pleo_company_skips_disconnected_ones(connected: Connection) -> None:
    assert connection_get_for_pleo_company(company_id="company-1") == connected
    assert connection_get_for_pleo_company(company_id="other") is None
    assert connection_get_for_pleo_company(company_id="") is None
    Connection.objects.filter(pk=connected.pk).update(status=Connection.Status.DISCONNECTED)
    assert connection_get_for_pleo_company(company_id="company-1") is None
