"""Secrets never reach an ApiCall excerpt, whatever shape the body has."""

from __future__ import annotations

import json

import pytest
import responses
from django.test import override_settings

from integrations.core.http import ApiClient
from integrations.core.models import ApiCall
from integrations.core.redaction import (
    EXCERPT_LIMIT,
    FORM_SECRET_KEYS,
    SECRET_KEYS,
    redact_body,
    redact_text,
    redact_value,
)

SECRETS = ("s3cr3t-A", "s3cr3t-B", "s3cr3t-C", "s3cr3t-D")


def _nested(depth: int, leaf: object) -> object:
    for _ in range(depth):
        leaf = {"level": leaf}
    return leaf


CASES = {
    "truncated-json": (
        '{"access_token": "s3cr3t-A", "token_type": "Bearer", "refresh_token": "s3cr3t-B',
        "application/json",
    ),
    "form-without-form-type": (
        "grant_type=authorization_code&code=s3cr3t-A&state=s3cr3t-B&client_secret=s3cr3t-C"
        "&code_verifier=s3cr3t-D",
        "text/plain",
    ),
    "form-body": (
        "refresh_token=s3cr3t-A&client_secret=s3cr3t-B",
        "application/x-www-form-urlencoded",
    ),
    "json-inside-a-json-string": (
        json.dumps({"detail": json.dumps({"client_secret": "s3cr3t-A", "x": 1})}),
        "application/json",
    ),
    "form-inside-a-json-string": (
        json.dumps({"request": "grant_type=refresh_token&refresh_token=s3cr3t-A"}),
        "application/json",
    ),
    "deep-json": (json.dumps(_nested(60, {"password": "s3cr3t-A"})), "application/json"),
    "too-deep-to-parse": (
        "[" * 1500 + '{"secretKey": "s3cr3t-A"}' + "]" * 1500,
        "application/json",
    ),
    "truncated-deep-json": (
        json.dumps(_nested(30, {"webhook": {"secretKey": "s3cr3t-A"}}))[:-20],
        "application/json",
    ),
    "html-with-a-bearer-token": (
        "<html><body>Authorization: Bearer s3cr3t-A failed</body></html>",
        "text/html",
    ),
    "single-quoted-text": ("{'password': 's3cr3t-A'}", "text/plain"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_secrets_are_redacted_in_any_body(name: str) -> None:
    body, content_type = CASES[name]

    excerpt = redact_body(body.encode(), content_type)

    assert not any(secret in excerpt for secret in SECRETS), excerpt[:500]
    assert "***" in excerpt


def test_a_secret_cut_in_two_by_the_excerpt_limit_is_redacted() -> None:
    # Not JSON (cut off), and the value straddles the limit: no part of it may show.
    prefix = '{"pad": "' + "x" * (EXCERPT_LIMIT - 30) + '", "access_token": "'
    body = prefix + "s3cr3t-A" * 20

    excerpt = redact_body(body.encode(), "application/json")

    assert "s3cr3t" not in excerpt and "s3cr" not in excerpt
    assert excerpt.endswith("more characters)")


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_a_long_json_body_gives_the_beginning_of_its_whole_redaction(
    separators: tuple[str, str],
) -> None:
    # A page of 50 expenses: only what the excerpt shows is redacted and written out, and it
    # is what redacting the whole page would show.
    page = {
        "data": [
            {"id": n, "token": f"s3cr3t-{n}", "lines": [{"text": "x" * (n * 7)}, n, None]}
            for n in range(50)
        ],
        "pagination": {"total": 50},
    }
    body = json.dumps(page, separators=separators)

    excerpt = redact_body(body.encode(), "application/json")

    whole = json.dumps(redact_value(page), ensure_ascii=False)
    assert excerpt.startswith(whole[:EXCERPT_LIMIT])
    assert excerpt[EXCERPT_LIMIT:].startswith("… (") and excerpt.endswith("more characters)")
    assert "s3cr3t" not in excerpt


def test_what_support_needs_is_kept() -> None:
    body = json.dumps({"code": "6800", "description": "Office supplies", "number": "10001"})
    assert redact_body(body.encode(), "application/json") == body
    assert redact_text('{"tokenType": "Bearer"}') == '{"tokenType": "***"}'
    assert redact_text("Supplier 10001 is inactive (code 6800)") == (
        "Supplier 10001 is inactive (code 6800)"
    )


@pytest.mark.django_db
@override_settings(REMOTE_MAX_RETRY_WAIT=0)
@responses.activate
def test_an_api_call_row_keeps_no_secret_from_a_cut_off_answer() -> None:
    responses.post(
        "https://auth.example/oauth/token",
        body='{"access_token": "s3cr3t-A", "refresh_token": "s3cr3t-B", "expi',
        content_type="application/json",
    )
    client = ApiClient("https://auth.example")
    client.service = "pleo_auth"  # type: ignore[misc]

    client.request(
        "POST",
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": "s3cr3t-C", "state": "s3cr3t-D"},
    )

    row = ApiCall.objects.get()
    stored = json.dumps(
        [row.url, row.request_excerpt, row.response_excerpt, row.request_headers, row.error]
    )
    assert not any(secret in stored for secret in SECRETS), stored


@pytest.mark.parametrize(
    "key",
    sorted(SECRET_KEYS | {"apiToken", "signingSecret", "PASSWORD_HASH", "code", "state"}),
)
@pytest.mark.parametrize(
    "shape", ['{{"{key}": "s3cr3t-A"}}', "a=1&{key}=s3cr3t-A", "{key} = s3cr3t-A"]
)
def test_every_secret_key_is_redacted_in_text_of_any_shape(key: str, shape: str) -> None:
    text = shape.format(key=key)
    if key in FORM_SECRET_KEYS and "=" not in text:
        pytest.skip("code and state are secrets only in forms")
    assert "s3cr3t-A" not in redact_text(text)


def test_text_without_a_secret_comes_back_as_it_was() -> None:
    text = json.dumps({"accountNumber": "4000", "vatCodeId": "1", "description": "Taxi, 12 EUR"})
    assert redact_text(text) == text
