"""A receipt on its way from Pleo to Visma.net: spooled (in memory up to a megabyte, in a file
beyond) and sent as a streamed multipart body, from its first byte again at each attempt."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses

from integrations.core.models import ApiCall
from integrations.core.receipts import SPOOL_BYTES, Receipt
from tests.core.test_http import BASE, Client

pytestmark = pytest.mark.django_db


def test_a_large_receipt_leaves_memory_for_a_file_and_reads_back_whole() -> None:
    small = Receipt.of(b"%PDF small", "application/pdf")
    assert small.in_memory and small.size == 10
    large = Receipt("application/pdf")
    block = bytes(range(256)) * 1024
    for _ in range(SPOOL_BYTES // len(block) + 1):
        large.write(block)
    assert not large.in_memory
    assert large.size == len(block) * (SPOOL_BYTES // len(block) + 1)
    reader = large.reader()
    read = b""
    while len(reader):
        read += reader.read(100_000)
    assert read == block * (SPOOL_BYTES // len(block) + 1)
    assert reader.read(10) == b""
    small.close()
    large.close()


def test_a_reader_never_asks_the_spool_for_a_file_descriptor() -> None:
    # Asked for `fileno()`, a spooled file in memory moves itself to disk.
    with Receipt.of(b"abc") as receipt:
        reader = receipt.reader()
        assert not hasattr(reader, "fileno")
        assert (len(reader), reader.read(), len(reader)) == (3, b"abc", 0)
        assert receipt.in_memory


@responses.activate
def test_a_receipt_is_streamed_and_sent_whole_again_after_a_failed_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = b"%PDF-1.7 " + bytes(range(256)) * 400
    bodies: list[bytes] = []
    kinds: list[str] = []
    send = requests.Session.send

    def sent(session: requests.Session, prepared: requests.PreparedRequest, **kw: Any) -> Any:
        # What goes to the connection: a stream, not the body joined in memory.
        kinds.append(type(prepared.body).__name__)
        return send(session, prepared, **kw)

    monkeypatch.setattr(requests.Session, "send", sent)

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body: Any = request.body
        bodies.append(body.read() if hasattr(body, "read") else bytes(body))
        if len(bodies) == 1:
            return 503, {}, ""
        return 201, {"Location": f"{BASE}/v1/attachment/9"}, ""

    responses.add_callback(responses.POST, f"{BASE}/v1/upload", callback=answer)
    client = Client(BASE, sleep=lambda seconds: None, max_wait=60)

    with Receipt.of(content, "application/pdf") as receipt:
        response = client.request(
            "POST",
            "/v1/upload",
            files={"file": ("r.pdf", receipt, "application/pdf")},
            idempotent=True,
        )

    assert response.status_code == 201
    assert kinds == ["MultipartEncoder", "MultipartEncoder"]
    # Each attempt is a body of its own (its own boundary), the receipt whole in both.
    first, second = (body.replace(body.split(b"\r\n", 1)[0], b"--") for body in bodies)
    assert first == second
    assert bodies[0].count(content) == 1
    assert b'filename="r.pdf"' in bodies[0] and b"Content-Type: application/pdf" in bodies[0]
    last = responses.calls[1].request
    assert last.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(last.headers["Content-Length"]) == len(bodies[1])
    excerpts = list(ApiCall.objects.values_list("request_excerpt", flat=True))
    assert excerpts and all(f"r.pdf ({len(content)} bytes)" in e for e in excerpts)
