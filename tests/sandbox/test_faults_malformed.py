"""Malformed answers, the fault kinds a reliability campaign injects into pages (issue: fault
campaign): the work behind the request is done, only the answer is spoiled."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from integrations.sandbox.models import FaultRule, ReceivedRequest

ECHO = "/sandbox/echo"


def _fault(client: Client, base: str, rule: dict[str, Any]) -> Any:
    return client.post(f"{base}/_control/faults", json.dumps(rule), content_type="application/json")


@pytest.mark.django_db
@pytest.mark.urls("tests.sandbox.urls_common")
def test_not_json_answers_html_after_doing_the_work(client: Client) -> None:
    _fault(client, ECHO, {"path": "/v1/things", "method": "POST", "fault": "malformed:not_json"})
    answer = client.post(f"{ECHO}/v1/things", {"a": 1}, content_type="application/json")
    assert answer.status_code == 201
    assert answer["Content-Type"].startswith("text/html")
    assert answer.content.startswith(b"<!DOCTYPE html>")
    assert ReceivedRequest.objects.filter(service="echo-work").count() == 1
    # Used up: the next answer is JSON again.
    again = client.post(f"{ECHO}/v1/things", {"a": 2}, content_type="application/json")
    assert again.json() == {"got": {"a": 2}}


@pytest.mark.django_db
@pytest.mark.urls("tests.sandbox.urls_common")
def test_truncated_cuts_the_json_with_a_matching_length(client: Client) -> None:
    _fault(client, ECHO, {"path": "/v1/things", "fault": "malformed:truncated"})
    answer = client.post(f"{ECHO}/v1/things", {"name": "x" * 40}, content_type="application/json")
    whole = json.dumps({"got": {"name": "x" * 40}}).encode()
    assert answer.status_code == 201
    assert answer.content == whole[: len(whole) // 2]
    assert answer["Content-Length"] == str(len(answer.content))
    with pytest.raises(ValueError):
        json.loads(answer.content)
    recorded = client.get(f"{ECHO}/_control/requests").json()["requests"]
    assert recorded[-1]["status"] == 201


@pytest.mark.django_db
@pytest.mark.urls("tests.sandbox.urls_common")
def test_unknown_malformed_kind_is_refused(client: Client) -> None:
    refused = _fault(client, ECHO, {"path": "/v1/things", "fault": "malformed:empty"})
    assert refused.status_code == 400
    assert "malformed:no_data" in refused.json()["error"]
    assert not FaultRule.objects.exists()
