"""Rights on every setup page and configuration API endpoint, walked from the URL resolver, so a
route added later without `finance_required` (or the API permission) fails here.

Pages: anonymous → login page; support → may look (GET 200) but not change (POST 403);
finance → GET 200. API: anonymous → 401/403; support → GET 200, POST 403; finance → GET 200.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from integrations.connections.models import Connection
from integrations.core.roles import FINANCE, SUPPORT, roles_sync
from integrations.masterdata.models import SyncRun
from tests.membership import user_joins_every_connection

pytestmark = pytest.mark.django_db

# The setup pages and the configuration API live under these prefixes.
PAGE_PREFIXES = ("connections/", "setup/")
API_PREFIX = "api/"
# Not setup: Pleo's webhooks (signed, no session) and the public API schema and its docs.
API_EXCLUDED = ("api/pleo/", "api/schema/", "api/docs/")
# Pages that only accept a POST: a GET is refused as a method (405), after the role check.
POST_ONLY = {
    "connections:pleo_connect",
    "connections:visma_service",
    "connections:visma_interactive",
    "connections:branch",
}
# The OAuth callbacks arrive as GETs but finish a connection: finance only, even to look.
CHANGING_GETS = {"connections:pleo_callback", "connections:visma_callback"}


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "setup/<int:connection_id>/tags/"
    name: str  # namespaced, e.g. "masterdata:setup_tags"

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)

    def url(self, values: dict[str, int]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in values, f"{self.name}: give the test a value for <{name}>"
            return str(values[name])

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, self.route)


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        else:
            yield Route(route=route, name=f"{namespace}{entry.name or route}")


def _routes() -> list[Route]:
    found = []
    for route in _walk(get_resolver().url_patterns):
        if route.route.startswith(PAGE_PREFIXES) or (
            route.route.startswith(API_PREFIX) and not route.route.startswith(API_EXCLUDED)
        ):
            found.append(route)
    return found


ROUTES = _routes()


def test_the_walk_finds_the_setup_pages_and_the_api() -> None:
    names = {r.name for r in ROUTES}
    assert {
        "connections:list",
        "connections:detail",
        "connections:export_settings",
        "masterdata:setup_overview",
        "masterdata:setup_accounts",
        "masterdata:setup_tags",
        "masterdata:setup_categories",
        "masterdata:sync",
        "masterdata:vendors",
        "api_export_settings",
        "api_category_mappings",
        "api_syncs",
    } <= names
    assert not any(r.route.startswith(API_EXCLUDED) for r in ROUTES)


def _user(name: str, group: str) -> Client:
    roles_sync()
    user = User.objects.create_user(name, password="pw")
    user.groups.add(Group.objects.get(name=group))
    user_joins_every_connection(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def values() -> dict[str, int]:
    # Not connected to either side, so no page reaches out to Pleo or Visma.net.
    connection = Connection.objects.create(name="Rights AS")
    # Two, so the setup index lists them rather than redirecting to the only one.
    Connection.objects.create(name="Second AS")
    run = SyncRun.objects.create(
        connection=connection, kind=SyncRun.Kind.ALL, status=SyncRun.Status.SUCCEEDED
    )
    return {"pk": connection.pk, "connection_id": connection.pk, "run_id": run.pk}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_anonymous_users_are_kept_out(route: Route, values: dict[str, int]) -> None:
    url = route.url(values)
    for method in ("get", "post"):
        answer = getattr(Client(), method)(url)
        if route.is_api:
            assert answer.status_code in (401, 403), (method, url, answer.status_code)
        else:
            assert answer.status_code == 302, (method, url, answer.status_code)
            assert answer["Location"].startswith("/login/?next="), (method, url)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_support_may_look_but_not_change(route: Route, values: dict[str, int]) -> None:
    support = _user("sam", SUPPORT)
    url = route.url(values)
    expected_get = 403 if route.name in CHANGING_GETS else 405 if route.name in POST_ONLY else 200
    assert support.get(url).status_code == expected_get, url
    assert support.post(url, {}).status_code == 403, url


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_finance_may_look(route: Route, values: dict[str, int]) -> None:
    finance = _user("fiona", FINANCE)
    url = route.url(values)
    answer = finance.get(url)
    if route.name in CHANGING_GETS:
        # Without a pending sign-in the callback sends the user back with a message.
        assert answer.status_code == 302, url
    elif route.name in POST_ONLY:
        assert answer.status_code == 405, url
    else:
        assert answer.status_code == 200, url
