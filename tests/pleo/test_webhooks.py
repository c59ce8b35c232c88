from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from integrations.pleo.webhooks import WebhookSignatureError, signature_sign, signature_verify

SECRET = "whsec_" + base64.b64encode(b"pleo-webhook-test-key-0123456789").decode()
NOW = 1_765_382_400
BODY = json.dumps(
    {
        "data": {"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "status": "pending"},
        "eventId": "c0ffee00-0000-4000-8000-000000000001",
        "eventType": "v1.export-job.created",
    }
).encode()


def signed_headers(
    *, secret: str = SECRET, body: bytes = BODY, timestamp: int = NOW
) -> dict[str, str]:
    return {
        "webhook-id": "msg_2b3c4d",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_sign(
            secret=secret, msg_id="msg_2b3c4d", timestamp=timestamp, body=body
        ),
    }


def test_signature_is_hmac_sha256_of_id_timestamp_body_with_the_decoded_secret() -> None:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, b"msg_2b3c4d." + str(NOW).encode() + b"." + BODY, hashlib.sha256).digest()
    ).decode()

    assert signed_headers()["webhook-signature"] == f"v1,{expected}"


def test_valid_signature_passes() -> None:
    signature_verify(secret=SECRET, headers=signed_headers(), body=BODY, now=NOW + 10)


def test_one_matching_signature_among_several_passes_and_headers_are_case_insensitive() -> None:
    headers = signed_headers()
    headers = {
        "Webhook-Id": headers["webhook-id"],
        "Webhook-Timestamp": headers["webhook-timestamp"],
        "Webhook-Signature": "v1,bm90IGl0 " + headers["webhook-signature"],
    }
    signature_verify(secret=SECRET, headers=headers, body=BODY, now=NOW)


def test_tampered_body_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="No matching signature"):
        signature_verify(
            secret=SECRET,
            headers=signed_headers(),
            body=BODY.replace(b"pending", b"failed"),
            now=NOW,
        )


def test_wrong_secret_is_refused() -> None:
    other = "whsec_" + base64.b64encode(b"another-key-another-key-another!").decode()
    with pytest.raises(WebhookSignatureError, match="No matching signature"):
        signature_verify(secret=other, headers=signed_headers(), body=BODY, now=NOW)


def test_old_timestamp_is_refused_even_with_a_valid_signature() -> None:
    with pytest.raises(WebhookSignatureError, match="too old"):
        signature_verify(secret=SECRET, headers=signed_headers(), body=BODY, now=NOW + 301)


def test_future_timestamp_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="too new"):
        signature_verify(secret=SECRET, headers=signed_headers(), body=BODY, now=NOW - 301)


def test_tolerance_is_configurable() -> None:
    signature_verify(
        secret=SECRET, headers=signed_headers(), body=BODY, now=NOW + 900, tolerance=1000
    )


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_named(missing: str) -> None:
    headers = signed_headers()
    del headers[missing]
    with pytest.raises(WebhookSignatureError, match=f"Missing header {missing}"):
        signature_verify(secret=SECRET, headers=headers, body=BODY, now=NOW)


def test_garbage_signature_and_timestamp_are_refused_cleanly() -> None:
    headers = signed_headers()
    with pytest.raises(WebhookSignatureError, match="unix time"):
        signature_verify(
            secret=SECRET, headers={**headers, "webhook-timestamp": "yesterday"}, body=BODY, now=NOW
        )
    with pytest.raises(WebhookSignatureError, match="No matching signature"):
        signature_verify(
            secret=SECRET, headers={**headers, "webhook-signature": "v1,%%% v2"}, body=BODY, now=NOW
        )


def test_verification_uses_the_real_clock_by_default() -> None:
    with pytest.raises(WebhookSignatureError, match="too old"):
        signature_verify(secret=SECRET, headers=signed_headers(), body=BODY)
