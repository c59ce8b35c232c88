"""Connect both systems through the sandbox over real HTTP, the way a finance user does."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import call_command

from integrations.connections.models import Connection
from integrations.connections.tokens import ConnectionTokenStore
from integrations.sandbox.visma.models import Company as SandboxCompany

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox_urls(live_server: Any, settings: Any) -> str:
    base = live_server.url
    settings.PUBLIC_BASE_URL = base
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{base}/sandbox/pleo"
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{base}/sandbox/visma"
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    call_command("sandbox_seed", preset="demo")
    return str(base)


def _csrf(session: requests.Session) -> str:
    return session.cookies["csrftoken"]


def _post(
    session: requests.Session, url: str, data: dict[str, str], **kwargs: Any
) -> requests.Response:
    return session.post(url, data={**data, "csrfmiddlewaretoken": _csrf(session)}, **kwargs)


def _consent_form(page: str) -> tuple[dict[str, str], list[str]]:
    hidden = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }
    companies = [html.unescape(v) for v in re.findall(r'<option value="([^"]+)"', page)]
    return hidden, companies


def test_finance_user_connects_both_systems(sandbox_urls: str, finance_user: User) -> None:
    base = sandbox_urls
    browser = requests.Session()
    browser.get(f"{base}/login/", timeout=10)
    logged_in = _post(
        browser, f"{base}/login/", {"username": "fiona", "password": "pw"}, timeout=10
    )
    assert logged_in.status_code == 200 and "fiona" in logged_in.text

    created = _post(browser, f"{base}/connections/", {"name": "Nordlys Demo AS"}, timeout=10)
    connection = Connection.objects.get(name="Nordlys Demo AS")
    assert created.url.endswith(f"/connections/{connection.pk}/")

    # Connect Pleo: our page sends the browser to the consent page, which sends it back.
    consent = _post(
        browser, f"{base}/connections/{connection.pk}/pleo/connect/", {"company_id": ""}, timeout=10
    )
    assert "/sandbox/pleo/oauth/authorize" in consent.url and consent.status_code == 200
    hidden, companies = _consent_form(consent.text)
    assert hidden["code_challenge_method"] == "S256" and companies
    back = browser.post(
        consent.url.split("?")[0],
        data={**hidden, "company": companies[0], "decision": "allow"},
        timeout=30,
    )
    assert back.url.endswith(f"/connections/{connection.pk}/"), back.url
    assert "Pleo is connected" in back.text
    connection.refresh_from_db()
    assert connection.pleo_company_id == companies[0]
    assert connection.pleo_webhook_secret and connection.pleo_webhook_subscription_id
    state = requests.get(f"{base}/sandbox/pleo/_control/state", timeout=10).json()
    subscriptions = [
        s for s in state["subscriptions"] if s["id"] == connection.pleo_webhook_subscription_id
    ]
    assert subscriptions and subscriptions[0]["endpointUrl"] == f"{base}/api/pleo/webhooks/"
    assert subscriptions[0]["secretKey"] == connection.pleo_webhook_secret

    # Connect Visma.net as a service integration: a customer tenant id is refused, then the
    # company tenant id works.
    refused = _post(
        browser,
        f"{base}/connections/{connection.pk}/visma/service/",
        {"tenant_id": "no-such-tenant"},
        timeout=30,
    )
    assert refused.status_code == 400 and "API User role" in refused.text
    ok = _post(
        browser,
        f"{base}/connections/{connection.pk}/visma/service/",
        {"tenant_id": "demo-tenant"},
        timeout=30,
    )
    assert ok.status_code == 200 and "Visma.net is connected" in ok.text
    assert '<option value="1"' in ok.text

    chosen = _post(
        browser, f"{base}/connections/{connection.pk}/branch/", {"branch_number": "1"}, timeout=30
    )
    assert "Branch saved" in chosen.text

    checked = _post(browser, f"{base}/connections/{connection.pk}/check/", {}, timeout=60)
    assert checked.text.count('<td class="state-done">✓</td>') == 6, checked.text
    assert "✗" not in checked.text
    connection.refresh_from_db()
    assert connection.status == Connection.Status.CONNECTED

    # Reconnecting Pleo keeps one subscription.
    consent = _post(
        browser, f"{base}/connections/{connection.pk}/pleo/connect/", {"company_id": ""}, timeout=10
    )
    hidden, companies = _consent_form(consent.text)
    browser.post(
        consent.url.split("?")[0],
        data={**hidden, "company": companies[0], "decision": "allow"},
        timeout=30,
    )
    state = requests.get(f"{base}/sandbox/pleo/_control/state", timeout=10).json()
    ours = [s for s in state["subscriptions"] if s["endpointUrl"] == f"{base}/api/pleo/webhooks/"]
    assert len(ours) == 1

    # Disconnect: tokens gone, the sandbox no longer has the subscription.
    _post(
        browser, f"{base}/connections/{connection.pk}/disconnect/", {"confirm": "yes"}, timeout=30
    )
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISCONNECTED
    assert ConnectionTokenStore(connection_id=connection.pk, provider="pleo").load() is None
    state = requests.get(f"{base}/sandbox/pleo/_control/state", timeout=10).json()
    assert not [
        s for s in state["subscriptions"] if s["endpointUrl"] == f"{base}/api/pleo/webhooks/"
    ]


def test_visma_sign_in_takes_the_company_chosen_on_visma_connect(
    sandbox_urls: str, finance_user: User
) -> None:
    base = sandbox_urls
    SandboxCompany.objects.create(tenant_id="fjord-tenant", name="Fjord Andre AS")
    browser = requests.Session()
    browser.get(f"{base}/login/", timeout=10)
    _post(browser, f"{base}/login/", {"username": "fiona", "password": "pw"}, timeout=10)
    _post(browser, f"{base}/connections/", {"name": "Second"}, timeout=10)
    connection = Connection.objects.get(name="Second")

    # No tenant id typed: Visma Connect's page offers the companies.
    consent = _post(
        browser,
        f"{base}/connections/{connection.pk}/visma/interactive/",
        {"tenant_id": ""},
        timeout=10,
    )
    assert "/sandbox/visma/connect/authorize" in consent.url and consent.status_code == 200
    assert "Fjord Andre AS" in consent.text and "Demo Norge AS" in consent.text
    hidden, _ = _consent_form(consent.text)
    back = browser.post(
        consent.url.split("?")[0],
        data={**hidden, "tenant_id": "fjord-tenant", "decision": "allow"},
        timeout=30,
    )
    assert back.url.endswith(f"/connections/{connection.pk}/"), back.url
    assert "Visma.net is connected" in back.text
    assert "<strong>Fjord Andre AS</strong>, tenant <code>fjord-tenant</code>" in back.text
    connection.refresh_from_db()
    assert (connection.visma_tenant_id, connection.visma_auth_mode) == (
        "fjord-tenant",
        "interactive",
    )
