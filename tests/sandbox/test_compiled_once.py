"""`rows_compiled_once`: the SQL of a sandbox query built once, its rows always those the ORM
would give for the arguments of each call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Exists, F, QuerySet
from django.test.utils import CaptureQueriesContext

from integrations.sandbox.common import _COMPILED, rows_compiled_once
from integrations.sandbox.models import FaultRule, ServiceSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> None:
    _COMPILED.clear()


def _rules() -> None:
    FaultRule.objects.create(service="visma", path="/v1/a", fault="status:500", times=3)
    FaultRule.objects.create(service="visma", path="/v1/b", fault="status:503", times=None)
    FaultRule.objects.create(service="pleo", path="/v1/a", fault="reset", times=0)


def _by_service_and_path(service: str, path: str | None) -> QuerySet[FaultRule]:
    return FaultRule.objects.filter(service=service, path=path).exclude(times=0).order_by("pk")


def test_each_call_gets_the_rows_of_its_own_arguments() -> None:
    _rules()
    for service, path in [("visma", "/v1/a"), ("visma", "/v1/b"), ("pleo", "/v1/a")] * 2:
        got = rows_compiled_once("rules", _by_service_and_path, service, path)
        assert [r.pk for r in got] == [r.pk for r in _by_service_and_path(service, path)]
    assert len(_COMPILED) == 1


def test_a_none_argument_is_a_shape_of_its_own() -> None:
    _rules()
    assert rows_compiled_once("rules", _by_service_and_path, "visma", None) == []
    got = rows_compiled_once("rules", _by_service_and_path, "visma", "/v1/b")
    assert [r.fault for r in got] == ["status:503"]
    assert len(_COMPILED) == 2


def _by_times(times: int) -> QuerySet[FaultRule]:
    return FaultRule.objects.filter(times=times, service="visma").order_by("pk")


def test_integer_arguments_and_constants_are_told_apart() -> None:
    _rules()
    assert [r.path for r in rows_compiled_once("times", _by_times, 3)] == ["/v1/a"]
    assert rows_compiled_once("times", _by_times, 0) == []
    assert rows_compiled_once("times", _by_times, 5) == []


def _containing(part: str) -> QuerySet[FaultRule]:
    return FaultRule.objects.filter(path__contains=part).order_by("pk")


def test_an_argument_changed_on_the_way_in_is_built_each_time() -> None:
    _rules()
    assert len(rows_compiled_once("contains", _containing, "/v1/")) == 3
    assert [r.path for r in rows_compiled_once("contains", _containing, "b")] == ["/v1/b"]
    assert _COMPILED[("contains", "default", (False,))] is None


def test_a_kept_query_runs_as_one_statement() -> None:
    _rules()
    rows_compiled_once("rules", _by_service_and_path, "visma", "/v1/a")
    with CaptureQueriesContext(connection) as captured:
        rows_compiled_once("rules", _by_service_and_path, "pleo", "/v1/a")
    assert len(captured) == 1


def _settings_with(service: str) -> QuerySet[ServiceSettings]:
    active = FaultRule.objects.filter(service=service).exclude(times=0)
    return (
        ServiceSettings.objects.filter(service=service)
        .annotate(started=F("window_start"), faults_on=Exists(active))
        .order_by("pk")
    )


def test_fields_and_annotations_are_read_as_the_orm_reads_them() -> None:
    _rules()
    when = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    ServiceSettings.objects.create(service="visma", window_start=when, latency_ms=20)
    ServiceSettings.objects.create(service="pleo")
    for _ in range(2):  # built, then kept
        (visma,) = rows_compiled_once("settings-with", _settings_with, "visma")
        (pleo,) = rows_compiled_once("settings-with", _settings_with, "pleo")
        assert visma.window_start == when and visma.started == when
        assert visma.latency_ms == 20 and pleo.window_start is None
        assert visma.faults_on is True and pleo.faults_on is False
        assert not visma._state.adding and visma._state.db == "default"
    visma.latency_ms = 30
    visma.save(update_fields=["latency_ms"])
    assert ServiceSettings.objects.get(service="visma").latency_ms == 30


def _prepared_on_this_session(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f'%"{table}"%'],
        )
        (count,) = cursor.fetchone()
    return int(count)


@pytest.mark.postgres
def test_a_kept_query_is_prepared_once_and_the_orm_s_statements_are_not() -> None:
    _rules()
    ServiceSettings.objects.create(service="visma", latency_ms=20)
    for _ in range(3):
        (visma,) = rows_compiled_once("settings-with", _settings_with, "visma")
        assert visma.latency_ms == 20 and visma.faults_on is True
        # The product's own statements (Django's client-side binding) are never prepared.
        assert FaultRule.objects.filter(service="visma").count() == 2
    assert _prepared_on_this_session("sandbox_servicesettings") == 1
    assert _prepared_on_this_session("sandbox_faultrule") == 1  # only inside the kept query
    # Still counted and logged with its text, like any statement.
    with CaptureQueriesContext(connection) as captured:
        rows_compiled_once("settings-with", _settings_with, "pleo")
    [query] = captured.captured_queries
    assert query["sql"].startswith('SELECT "sandbox_servicesettings"."id"')
