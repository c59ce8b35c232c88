"""The webhook load sender (benchmarks.webhook_load): what it sends is a delivery Pleo could
have signed, and it reads the server's answers however they are framed."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from benchmarks.webhook_load import Answer, _requests, run
from integrations.pleo.webhooks import signature_verify

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def _split(request: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], headers, body


def test_each_request_is_a_signed_delivery_of_its_own() -> None:
    made = _requests(SECRET, 3, "company-1", host="127.0.0.1:8000", path="/api/pleo/webhooks/")

    seen = set()
    for request in made:
        line, headers, body = _split(request)
        assert line == "POST /api/pleo/webhooks/ HTTP/1.1"
        assert int(headers["Content-Length"]) == len(body)
        signature_verify(secret=SECRET, headers=headers, body=body)
        event = json.loads(body)
        assert event["data"]["companyId"] == "company-1"
        seen.add((headers["webhook-id"], event["eventId"]))
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("pieces", "status", "close"),
    [
        ([b"HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nabcd"], 202, False),
        ([b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 2\r\n\r", b"\nx", b"y"], 200, False),
        (
            [
                b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
                b"0\r\n\r\n",
            ],
            400,
            False,
        ),
        ([b"HTTP/1.1 503 X\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"], 503, True),
    ],
)
def test_an_answer_is_complete_only_once_its_body_has_arrived(
    pieces: list[bytes], status: int, close: bool
) -> None:
    answer = Answer()
    done = [answer.feed(piece) for piece in pieces]

    assert done == [False] * (len(pieces) - 1) + [True]
    assert (answer.status, answer.close) == (status, close)


def test_a_run_sends_every_delivery_and_counts_the_answers() -> None:
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body)["eventId"])
            answer = b'{"status": "accepted"}'
            self.send_response(202 if len(received) % 2 else 200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run(
            url=f"http://127.0.0.1:{server.server_address[1]}/api/pleo/webhooks/",
            secret=SECRET,
            rate=200,
            seconds=0.1,
            connections=3,
            saturate=False,
            company_id="company-1",
        )
    finally:
        server.shutdown()
        server.server_close()

    assert result["sent"] == 20 and len(set(received)) == 20
    assert result["statuses"] == {"202": 10, "200": 10}
    assert result["errors"] == {}
