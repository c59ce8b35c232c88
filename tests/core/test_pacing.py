"""The call budget, the five-minute rule for failed requests, and ApiCall rows in batches."""

from __future__ import annotations

import pytest
import requests
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.core import errors
from integrations.core.context import call_links
from integrations.core.http import ApiClient, api_calls_buffered
from integrations.core.models import ApiCall
from integrations.core.pacing import PROBE_WAIT, CallBudget, FailedRequests, Pacing, request_key

pytestmark = pytest.mark.django_db

BASE = "https://remote.example"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Client(ApiClient):
    service = "visma"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def slept(clock: Clock) -> list[float]:
    return []


@pytest.fixture
def client(clock: Clock, slept: list[float]) -> Client:
    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    made = Client(BASE, sleep=sleep, max_wait=60)
    made.pacing = Pacing(budget=CallBudget(clock=clock), failed=FailedRequests(clock=clock))
    return made


def budget(remaining: int, reset: int) -> dict[str, str]:
    return {"X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(reset)}


# -- the budget ------------------------------------------------------------------------------


def test_a_spent_budget_waits_for_its_window_and_calls_under_way_count(clock: Clock) -> None:
    spent = CallBudget(clock=clock)
    assert spent.take() == 0  # nothing known yet: one call goes to find the budget
    assert spent.take() == PROBE_WAIT  # the others wait for its answer
    spent.observe(budget(3, 30))
    assert spent.take() == 0
    # The second call's answer says 2 are left; the third call is still under way, so 1 is.
    assert spent.take() == 0
    spent.observe(budget(2, 30))
    assert spent.take() == 0
    # None left while calls are under way: a short wait, their answers will tell.
    assert spent.take() == PROBE_WAIT
    spent.observe(budget(1, 30))
    spent.observe(budget(0, 30))
    # Spent, nothing under way: the wait is for the window.
    assert spent.take() == 30
    clock.now += 30
    assert spent.take() == 0  # a new window


def test_answers_out_of_order_never_give_back_calls_already_counted(clock: Clock) -> None:
    budget_ = CallBudget(clock=clock)
    assert budget_.take() == 0
    budget_.observe(budget(4, 30))
    for _ in range(3):
        assert budget_.take() == 0
    # The third call's answer comes first (1 left), then the first call's (3 left, older).
    # The call still under way may not be in the service's count: nothing is left to take,
    # and the older answer does not give any back (read alone it would leave 2).
    budget_.observe(budget(1, 30))
    budget_.observe(budget(3, 30))
    assert budget_.take() == PROBE_WAIT
    # The second call's answer (2 left) was counted before the third: 1 left, as it said.
    budget_.observe(budget(2, 30))
    assert budget_.take() == 0
    assert budget_.take() == PROBE_WAIT
    budget_.observe(budget(0, 30))
    assert budget_.take() == 30


def test_calls_under_way_are_given_back_as_their_answers_show_them_counted(
    clock: Clock,
) -> None:
    """Nine calls a window: the first finds the budget (8 left), then four are sent at once
    and counted in their order of arrival (7, 6, 5, 4 left), answered in another order: the
    window is used to its last call, never beyond."""
    budget_ = CallBudget(clock=clock)
    assert budget_.take() == 0
    budget_.observe(budget(8, 30))
    for _ in range(4):
        assert budget_.take() == 0
    budget_.observe(budget(4, 30))  # the last one counted answers first
    assert budget_.remaining == 1  # three under way, perhaps not counted yet
    for left in (7, 6, 5):
        budget_.observe(budget(left, 30))
    assert budget_.remaining == 4
    for _ in range(4):
        assert budget_.take() == 0
    assert budget_.take() == PROBE_WAIT
    for left in (3, 2, 1, 0):
        budget_.observe(budget(left, 30))
    assert budget_.take() == 30


def test_a_new_window_is_measured_by_one_call_before_the_others_go(clock: Clock) -> None:
    budget_ = CallBudget(clock=clock)
    assert budget_.take() == 0
    assert budget_.take() == PROBE_WAIT  # the first window too: one call, then the others
    budget_.observe(budget(0, 10))
    clock.now += 10
    assert budget_.take() == 0  # the new window's first call finds its size
    assert budget_.take() == PROBE_WAIT  # the others wait for its answer
    budget_.observe(budget(1, 10))
    assert budget_.take() == 0
    assert budget_.take() == PROBE_WAIT  # the last call of the window is under way
    budget_.observe(budget(0, 10))
    assert budget_.take() == 10


@responses.activate
def test_the_budget_is_never_overrun_the_call_waits_for_the_window(
    client: Client, slept: list[float]
) -> None:
    responses.get(f"{BASE}/v1/account", status=200, json=[], headers=budget(1, 20))
    responses.get(f"{BASE}/v1/account", status=200, json=[], headers=budget(0, 19))
    responses.get(f"{BASE}/v1/account", status=200, json=[], headers=budget(99, 60))

    for _ in range(3):
        client.request("GET", "/v1/account")

    # The third call waited for the reset rather than being answered 429.
    assert slept == [19.0]
    assert len(responses.calls) == 3


@responses.activate
def test_a_wait_longer_than_accepted_is_a_rate_limit_without_sending(client: Client) -> None:
    responses.get(f"{BASE}/v1/account", status=200, json=[], headers=budget(0, 3000))
    client.request("GET", "/v1/account")

    with pytest.raises(errors.RateLimited) as raised:
        client.request("GET", "/v1/account")

    assert raised.value.retry_after == 3000
    assert len(responses.calls) == 1


# -- the same failed request at most twice in five minutes ------------------------------------


@responses.activate
def test_a_failing_get_is_sent_twice_then_waits_five_minutes(client: Client, clock: Clock) -> None:
    responses.get(f"{BASE}/v1/account", status=503)

    with pytest.raises(errors.TransientError) as first:
        client.request("GET", "/v1/account")
    assert not isinstance(first.value, errors.RateLimited)
    assert len(responses.calls) == 2  # not the five attempts of a service without the rule

    with pytest.raises(errors.RateLimited) as again:
        client.request("GET", "/v1/account")
    assert len(responses.calls) == 2
    assert again.value.retry_after is not None and 0 < again.value.retry_after <= 300

    clock.now += 300
    responses.replace(responses.GET, f"{BASE}/v1/account", status=200, json=[])
    client.request("GET", "/v1/account")
    assert len(responses.calls) == 3


@responses.activate
def test_a_refused_post_is_not_sent_a_third_time_but_another_body_is(client: Client) -> None:
    responses.post(f"{BASE}/v1/supplier", status=400, json={"message": "no"})

    for _ in range(2):
        with pytest.raises(errors.ValidationFailed):
            client.request("POST", "/v1/supplier", json={"name": "A"})
    with pytest.raises(errors.RateLimited):
        client.request("POST", "/v1/supplier", json={"name": "A"})
    assert len(responses.calls) == 2

    with pytest.raises(errors.ValidationFailed):
        client.request("POST", "/v1/supplier", json={"name": "B"})
    assert len(responses.calls) == 3


@responses.activate
def test_not_found_and_rate_limits_are_not_failures_of_the_request(client: Client) -> None:
    responses.get(f"{BASE}/v1/supplier/9", status=404)
    for _ in range(3):
        with pytest.raises(errors.NotFound):
            client.request("GET", "/v1/supplier/9")
    assert len(responses.calls) == 3


def test_the_request_key_tells_bodies_and_queries_apart() -> None:
    assert request_key("GET", "/a", {"x": 1}) == request_key("get", "/a", [("x", "1")])
    assert request_key("GET", "/a", {"x": 1}) != request_key("GET", "/a", {"x": 2})
    assert request_key("POST", "/a", json_body={"a": 1, "b": 2}) == request_key(
        "POST", "/a", json_body={"b": 2, "a": 1}
    )
    assert request_key("POST", "/a", json_body={"a": 1}) != request_key(
        "PUT", "/a", json_body={"a": 1}
    )


# -- ApiCall rows in batches ------------------------------------------------------------------


@responses.activate
def test_buffered_calls_are_all_written_with_their_links_in_few_inserts() -> None:
    plain = Client(BASE, session=requests.Session(), max_wait=0)
    responses.get(f"{BASE}/v1/account", status=200, json=[])
    with (
        CaptureQueriesContext(connection) as queries,
        api_calls_buffered(batch=50, seconds=3600),
        call_links(connection_id=7, export_run_id=8),
    ):
        for number in range(120):
            with call_links(export_item_id=number + 1):
                plain.request("GET", "/v1/account")
        assert ApiCall.objects.count() == 100  # two full batches written so far
    # One statement per batch: an INSERT, or on PostgreSQL a COPY.
    inserts = [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "COPY"))]
    assert len(inserts) == 3
    rows = list(ApiCall.objects.order_by("id").values_list("export_item_id", flat=True))
    assert rows == list(range(1, 121))
    assert set(ApiCall.objects.values_list("connection_id", "export_run_id")) == {(7, 8)}


@responses.activate
def test_buffered_calls_are_written_when_the_work_fails() -> None:
    plain = Client(BASE, session=requests.Session(), max_wait=0)
    responses.get(f"{BASE}/v1/account", status=400, json={"message": "bad"})
    with pytest.raises(errors.ValidationFailed), api_calls_buffered():
        plain.request("GET", "/v1/account")
    assert ApiCall.objects.get().status_code == 400
