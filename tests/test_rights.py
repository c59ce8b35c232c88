"""The access matrix: every URL the resolver knows (pages, admin, API, webhooks, the sandbox when
enabled) asked by five people, each answer checked against the intended one. A route added
later without its checks fails here.

The install holds two companies. "Fjellvik AS" is kept by Fiona (finance, no admin access, as
in the demo) and Sam (support, staff); "Zulu AS" by Olav (finance, staff, so the admin's
scoping is tried too). The superuser sees both. Every row seeded for a connection carries its
marker ("fjellvik-…" / "zulu-…"); no answer to a member of one company ever contains the
other's marker, and an id of the other company answers exactly as an unknown id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from integrations.connections.models import (
    AccountMapping,
    Connection,
    ConnectionEvent,
    ConnectionMembership,
    ExportSettings,
    Notice,
)
from integrations.core.access import ConnectionScopedAdmin
from integrations.core.models import ApiCall
from integrations.core.roles import FINANCE, SUPPORT, roles_sync
from integrations.exports.models import AttachmentUpload, ExportDocument, ExportItem, ExportRun
from integrations.masterdata.models import CategoryMapping, SyncRun, VismaSupplier
from integrations.pleo.models import WebhookEvent

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "support", "finance", "other", "admin")
MEMBERS = ("support", "finance", "admin")  # may see Fjellvik AS
LOGIN = "/login/?next="
ADMIN_LOGIN = "/admin/login/?next="

# -- the routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "setup/<int:connection_id>/tags/"
    name: str  # namespaced, e.g. "masterdata:setup_tags"

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route) + re.findall(r"\(\?P<(\w+)>", self.route)

    def url(self, values: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in values, f"{self.name}: give the test a value for <{name}>"
            return values[name]

        path = re.sub(r"<(?:\w+:)?(\w+)>", value, self.route)
        if path.startswith("admin/") and ("^" in path or "(" in path):
            path = _admin_regex(path, values)
        return "/" + path


def _admin_regex(path: str, values: dict[str, str]) -> str:
    # Regex routes of the admin: the app index and django-simple-history's version page.
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], path)
    groups = iter([values["object_id"], values.get("__version", "999999")])
    path = re.sub(r"\(\[\^/\]\+\)", lambda m: next(groups), path)
    return path.replace("^", "").replace("$", "")


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


ROUTES = list(_walk(get_resolver().url_patterns))
ADMIN = [r for r in ROUTES if r.route.startswith("admin/")]
SANDBOX = [r for r in ROUTES if r.route.startswith("sandbox/")]
PRODUCT = [r for r in ROUTES if r not in ADMIN and r not in SANDBOX]

# Open to anyone: the load balancer's probe and the login page.
PUBLIC = {"healthz", "login", "logout"}
# For Prometheus: configured addresses or a bearer token only (none here), never a session.
METRICS = {"metrics"}
# Signed by Pleo, no session: refused without a valid signature whoever asks.
WEBHOOKS = {"pleo:webhooks"}
# Lists filtered to the user's connections.
LISTS = {
    "home",
    "connections:list",
    "masterdata:setup_index",
    "exports:index",
    # The same lists alone, asked for again every few seconds by their pages.
    "home_connections",
    "connections:list_box",
    "exports:index_runs",
}
# The API's description: any signed-in user may read it.
API_DOCS = {"api-schema", "api-docs"}
# Pages that only accept a POST: a GET is refused as a method (405), after the checks.
POST_ONLY = {
    "connections:pleo_connect",
    "connections:visma_service",
    "connections:visma_interactive",
    "connections:branch",
    "exports:run_retry",
    "masterdata:setup_accounts_create",
}
# The OAuth callbacks arrive as GETs but finish a connection: finance only, even to look; the
# connection is found from the pending sign-in (none here), so finance is sent back (302).
CALLBACKS = {"connections:pleo_callback", "connections:visma_callback"}


def test_the_walk_finds_every_kind_of_route() -> None:
    names = {r.name for r in ROUTES}
    assert {
        "home",
        "connections:detail",
        "masterdata:setup_tags",
        "masterdata:vendors",
        "exports:run",
        "api_export_settings",
        "api_sync_detail",
        "pleo:webhooks",
        "admin:exports_exportrun_change",
        "admin:core_apicall_changelist",
        "admin:connections_connectionmembership_changelist",
    } <= names
    assert len(ADMIN) > 100 and len(SANDBOX) > 50
    # Every product route is classified below: a new one must be given its rule.
    for route in PRODUCT:
        assert _kind(route) != "unknown", route


def _kind(route: Route) -> str:
    if route.name in PUBLIC:
        return "public"
    if route.name in WEBHOOKS:
        return "webhook"
    if route.name in METRICS:
        return "metrics"
    if route.name in LISTS:
        return "list"
    if route.name in API_DOCS:
        return "api_docs"
    if route.name in CALLBACKS:
        return "callback"
    if {"pk", "connection_id", "run_id"} & set(route.params):
        return "api" if route.route.startswith("api/") else "page"
    return "unknown"


# -- the install -----------------------------------------------------------------------------


def _user(name: str, group: str | None, *, staff: bool = False, superuser: bool = False) -> User:
    user = User.objects.create_user(name, is_staff=staff, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def _company(name: str, marker: str) -> dict[str, Model]:
    connection = Connection.objects.create(name=name)
    run = ExportRun.objects.create(connection=connection, pleo_job_id=f"{marker}-job")
    item = ExportItem.objects.create(
        run=run, connection=connection, accounting_entry_id=f"{marker}-entry", payload={}
    )
    rows: dict[str, Model] = {
        "connection": connection,
        "exportrun": run,
        "exportitem": item,
        "exportdocument": ExportDocument.objects.create(
            connection=connection, run=run, reference=f"{marker}-doc"
        ),
        "attachmentupload": AttachmentUpload.objects.create(
            item=item, file_key=f"{marker}-file", filename=f"{marker}-receipt.pdf"
        ),
        "syncrun": SyncRun.objects.create(
            connection=connection, kind="all", triggered_by=f"{marker}-sync"
        ),
        "apicall": ApiCall.objects.create(
            service="pleo",
            method="GET",
            url=f"https://x/{marker}",
            path=f"/{marker}-call",
            connection_id=connection.pk,
        ),
        "webhookevent": WebhookEvent.objects.create(
            delivery_id=f"{marker}-delivery", event_type="x", connection_id=connection.pk
        ),
        "categorymapping": CategoryMapping.objects.create(
            connection=connection,
            pleo_account_id=f"{marker}-cat",
            pleo_account_name=f"{marker}-cat",
        ),
        "vismasupplier": VismaSupplier.objects.create(
            connection=connection, number="50001", name=f"{marker}-supplier"
        ),
        "exportsettings": ExportSettings.objects.create(connection=connection),
        "accountmapping": AccountMapping.objects.create(
            connection=connection, default_vendor_number=f"{marker}-vendor"
        ),
        "connectionevent": ConnectionEvent.objects.create(
            connection=connection, kind="created", detail=f"{marker}-event"
        ),
        "notice": Notice.objects.create(
            connection=connection, kind="run_failures", key=f"{marker}-notice"
        ),
    }
    return rows


@pytest.fixture
def world() -> dict[str, Any]:
    roles_sync()
    fjellvik = _company("Fjellvik AS", "fjellvik")
    zulu = _company("Zulu AS", "zulu")
    people = {
        "support": _user("sam", SUPPORT, staff=True),
        "finance": _user("fiona", FINANCE),
        "other": _user("olav", FINANCE, staff=True),
        "admin": _user("root", None, staff=True, superuser=True),
    }
    for who in ("support", "finance"):
        ConnectionMembership.objects.create(connection=fjellvik["connection"], user=people[who])
    zulu_member = ConnectionMembership.objects.create(
        connection=zulu["connection"], user=people["other"]
    )
    fjellvik["connectionmembership"] = ConnectionMembership.objects.get(user=people["support"])
    zulu["connectionmembership"] = zulu_member
    clients = {"anonymous": Client()}
    for who, user in people.items():
        clients[who] = Client()
        clients[who].force_login(user)
    return {"fjellvik": fjellvik, "zulu": zulu, "clients": clients}


def _values(world: dict[str, Any]) -> dict[str, str]:
    rows = world["fjellvik"]
    return {
        "pk": str(rows["connection"].pk),
        "connection_id": str(rows["connection"].pk),
        "job_id": "job-1",
    }


def _foreign_marker(who: str) -> str | None:
    return {"support": "zulu", "finance": "zulu", "other": "fjellvik"}.get(who)


def _ask(client: Client, method: str, url: str) -> Any:
    if method == "put":
        return client.put(url, data="{}", content_type="application/json")
    return getattr(client, method)(url)


def _check_no_foreign_marker(who: str, answer: Any, url: str) -> None:
    marker = _foreign_marker(who)
    body = b"" if answer.get("Content-Type", "").startswith("image/") else answer.content
    if marker:
        assert marker.encode() not in body.lower(), (who, url)


# -- the product's pages and API -------------------------------------------------------------


def _expected(kind: str, name: str, who: str, method: str) -> set[int] | str:
    """The intended answer: a set of statuses, or "login" for the login redirect."""
    anonymous = who == "anonymous"
    member = who in MEMBERS
    changes = method != "get"
    if kind == "public":
        if name == "logout":
            return {405} if not changes else {302}
        if name == "login":
            # A signed-in user is sent on; an empty form is shown again.
            return {200} if anonymous else {302}
        return {200} if not changes else {405}
    if kind == "metrics":
        return {403} if not changes else {405}
    if kind == "webhook":
        return {401, 400} if changes else {405}
    if kind == "api_docs":
        # Any signed-in user may read the API's description; a stranger may not: the schema
        # answers as the API does, the docs page sends a browser to the login page.
        if anonymous:
            if name == "api-docs":
                return "login"
            return {401, 403} if not changes else {401, 403, 405}
        return {200} if not changes else {405}
    if anonymous:
        return {401, 403} if kind == "api" else "login"
    if kind == "list":
        if name == "home":
            return {200} if not changes else {405}
        if changes:
            # Support may not change anything; the role check answers before the method's.
            if who == "support":
                return {403}
            return {200, 400} if name == "connections:list" else {405}
        if name == "masterdata:setup_index" and who != "admin":
            return {302}  # one connection: straight to its overview
        return {200}
    if kind == "callback":
        if who == "support":
            return {403}
        return {405} if changes else {302}
    # A page or the API of Fjellvik AS.
    if not member:
        return {404}
    if changes:
        return {403} if who == "support" else {"skip"}  # finance writes: tested per page
    if name in POST_ONLY:
        return {405}
    return {200}


@pytest.mark.parametrize("route", PRODUCT, ids=lambda r: r.name)
def test_product_route(route: Route, world: dict[str, Any]) -> None:
    kind = _kind(route)
    values = _values(world)
    rows = world["fjellvik"]
    values["run_id"] = str(
        rows["exportrun"].pk if route.name.startswith("exports:") else rows["syncrun"].pk
    )
    url = route.url(values)
    write = "put" if kind == "api" else "post"
    for who in PERSONAS:
        for method in ("get", write):
            expected = _expected(kind, route.name, who, method)
            if expected == {"skip"}:
                continue
            answer = _ask(world["clients"][who], method, url)
            if expected == "login":
                assert answer.status_code == 302, (who, method, url, answer.status_code)
                assert answer["Location"].startswith(LOGIN), (who, method, url)
            else:
                assert answer.status_code in expected, (who, method, url, answer.status_code)
            _check_no_foreign_marker(who, answer, url)
    if kind in ("page", "api"):
        # Another company's id answers exactly as an id nobody has.
        other = world["clients"]["other"]
        unknown = route.url(
            {k: str(int(v) + 10_000) if v.isdigit() else v for k, v in values.items()}
        )
        assert _ask(other, "get", url).status_code == _ask(other, "get", unknown).status_code


def test_lists_name_only_the_users_connections(world: dict[str, Any]) -> None:
    for name, url in (
        ("home", "/"),
        ("list", "/connections/"),
        ("exports", "/exports/"),
        ("setup", "/setup/"),
        ("home, live", "/home/connections/"),
        ("list, live", "/connections/table/"),
        ("exports, live", "/exports/runs/"),
    ):
        for who, shown, hidden in (
            ("finance", "Fjellvik AS", "Zulu AS"),
            ("other", "Zulu AS", "Fjellvik AS"),
        ):
            answer = world["clients"][who].get(url, follow=True)
            page = answer.content.decode()
            assert shown in page and hidden not in page, (name, who)
        both = world["clients"]["admin"].get(url, follow=True).content.decode()
        assert "Fjellvik AS" in both and "Zulu AS" in both, name


# -- the admin -------------------------------------------------------------------------------


def _admin_model(route: Route) -> tuple[type[Model], admin.ModelAdmin[Any]] | None:
    match = re.match(r"admin/(\w+)/(\w+)/", route.route)
    if not match:
        return None
    for model, model_admin in admin.site._registry.items():
        if (model._meta.app_label, model._meta.model_name) == match.groups():
            return model, model_admin
    return None


def _admin_values(route: Route, world: dict[str, Any], company: str) -> dict[str, str]:
    found = _admin_model(route)
    values = {
        "app_label": "exports",
        "content_type_id": "1",
        "object_id": "999999",
        "id": str(User.objects.get(username="sam").pk),
        "url": "nowhere/",
    }
    if found is not None:
        model, _ = found
        row = world[company].get(model._meta.model_name)
        if row is None and model._meta.model_name != "connectionmembership":
            row = model._default_manager.first()
        if row is not None:
            values["object_id"] = values["__exists"] = str(row.pk)
            history = getattr(model, "history", None)
            version = history.filter(id=row.pk).first() if history is not None else None
            if version is not None:
                values["__version"] = str(version.history_id)
    return values


def test_every_admin_of_a_connections_rows_is_scoped() -> None:
    unscoped = []
    for model, model_admin in admin.site._registry.items():
        ours = model._meta.app_label in ("connections", "exports", "masterdata", "core", "pleo")
        if ours and not isinstance(model_admin, ConnectionScopedAdmin):
            unscoped.append(model._meta.label)
    assert unscoped == []


@pytest.mark.parametrize(
    "route", ADMIN, ids=lambda r: r.name if r.name != "admin:None" else r.route
)
def test_admin_route(route: Route, world: dict[str, Any]) -> None:
    values = _admin_values(route, world, "fjellvik")
    exists = "__exists" in values or not ("object_id" in route.route or "([^/]+)" in route.route)
    url = route.url(values)
    for who in PERSONAS:
        answer = world["clients"][who].get(url)
        status = answer.status_code
        assert status < 500, (who, url, status)
        if who in ("anonymous", "finance") and route.name not in ("admin:login", "admin:logout"):
            # Finance staff are not admin users (as in the demo): the admin's own login page.
            assert status == 302 and answer["Location"].startswith(ADMIN_LOGIN), (who, url)
        elif who == "admin":
            assert status in (200, 302, 403, 404, 405), (url, status)
            if exists and route.name.endswith(("_changelist", "_change", "_history")):
                assert status == 200, (url, status)
        elif route.route.startswith("admin/django_q/") or "django_q" in url:
            # django-q2's tasks, failures, schedules and queue: superusers only, even to staff
            # who read everything else of their connections. A row that does not exist, and the
            # admin's old short address of a row, are redirected inside the admin as for any
            # model: where that ends, nothing of django-q2 is shown or linked.
            if status == 302:
                final = world["clients"][who].get(url, follow=True)
                assert "/admin/django_q/" not in final.content.decode(), (who, url)
            else:
                assert status in (403, 404), (who, url, status)
        _check_no_foreign_marker(who, answer, url)
    found = _admin_model(route)
    if found is not None and "<path:object_id>" in route.route:
        # Sam (support, member) reads Fjellvik's rows; Olav (Zulu AS) gets what an unknown id gets.
        _, model_admin = found
        if isinstance(model_admin, ConnectionScopedAdmin):
            other = world["clients"]["other"]
            unknown = route.url({**_admin_values(route, world, "fjellvik"), "object_id": "999999"})
            mine, missing = other.get(url), other.get(unknown)
            assert mine.status_code == missing.status_code, (url, mine.status_code)
            assert mine.get("Location", "").replace(url, unknown) == missing.get("Location", "")
            if exists and route.name.endswith(("_change", "_history")):
                assert world["clients"]["support"].get(url).status_code == 200, url


# -- the sandbox -----------------------------------------------------------------------------


def _sandbox_values(route: Route) -> dict[str, str]:
    values = {name: "x" if "id" not in name else str(uuid.uuid4()) for name in route.params}
    values.update({name: "1" for name in re.findall(r"<int:(\w+)>", route.route)})
    return values


@pytest.mark.parametrize("route", SANDBOX, ids=lambda r: r.route)
def test_sandbox_route(route: Route, world: dict[str, Any]) -> None:
    """The stand-ins answer like the remote services: the product's sign-in grants nothing
    there (every persona gets the same answer), and the APIs want the service's own token."""
    url = route.url(_sandbox_values(route))
    answers = {who: world["clients"][who].get(url).status_code for who in PERSONAS}
    assert len(set(answers.values())) == 1, (url, answers)
    status = answers["anonymous"]
    assert status < 500, (url, status)
    api = not any(part in route.route for part in ("/_control/", "/oauth/", "/connect/", "/files/"))
    if api:
        assert status in (401, 403, 405), (url, status)
