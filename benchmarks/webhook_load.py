"""`python -m benchmarks.webhook_load --url URL --secret whsec_… [--rate N] [--seconds S]
[--connections C] [--saturate]`: signed Pleo deliveries from a process of its own, on
keep-alive connections; prints one JSON object with what was sent and answered.

Paced (the default): delivery i is due at start + i / rate, whatever happened to the ones
before (an open loop, as Pleo sends); it goes out on the first free connection once due, and
its latency is measured from when it was due, so a server that falls behind shows it in the
latency instead of slowing the sender down. Saturate: every connection sends its next delivery
as soon as the last one is answered, to find the most the intake takes.

The sender stands in for Pleo, whose CPU is not ours, yet it shares this machine's cores with
the server: it must cost little per delivery. Each request (headers, body and a Standard
Webhooks signature, HMAC-SHA256 over "id.timestamp.body") is made as bytes before the clock
starts; one thread drives every connection with `selectors`, writes a request with one
`send` and reads the answer's status line, `Content-Length` (or chunks) and body, and nothing
more. One request is in flight per connection at a time (no pipelining), as an HTTP client does.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import selectors
import socket
import sys
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

HEADER_END = b"\r\n\r\n"


def _requests(secret: str, count: int, company_id: str, *, host: str, path: str) -> list[bytes]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    stamp = str(int(time.time()))
    made = []
    for _ in range(count):
        body = json.dumps(
            {
                "eventId": str(uuid.uuid4()),
                "eventType": "v1.export-job.created",
                "data": {"id": str(uuid.uuid4()), "companyId": company_id, "status": "pending"},
            }
        ).encode()
        msg_id = f"msg_{uuid.uuid4().hex}"
        digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        head = (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"webhook-id: {msg_id}\r\n"
            f"webhook-timestamp: {stamp}\r\n"
            f"webhook-signature: v1,{base64.b64encode(digest).decode()}\r\n"
            "X-Forwarded-Proto: https\r\n"
            "\r\n"
        )
        made.append(head.encode() + body)
    return made


class AnswerError(Exception):
    """The server's answer could not be read (closed early or malformed)."""


@dataclass
class Answer:
    """Reads one HTTP/1.1 answer from the bytes as they arrive."""

    buffer: bytearray = field(default_factory=bytearray)
    status: int = 0
    length: int | None = None  # of the body, once the head is read
    chunked: bool = False
    close: bool = False
    body_start: int = 0

    def feed(self, data: bytes) -> bool:
        """True once the whole answer has arrived."""
        self.buffer += data
        if not self.status:
            end = self.buffer.find(HEADER_END)
            if end < 0:
                return False
            self._head(bytes(self.buffer[:end]))
            self.body_start = end + len(HEADER_END)
        body = self.buffer[self.body_start :]
        if self.chunked:
            return _chunks_complete(bytes(body))
        return self.length is not None and len(body) >= self.length

    def _head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise AnswerError("malformed status line")
        self.status = int(parts[1])
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == b"content-length":
                self.length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                self.chunked = True
            elif name == b"connection" and value == b"close":
                self.close = True
        if self.length is None and not self.chunked:
            # Neither: the body runs to the end of the connection, which we do not wait for.
            self.length = 0
            self.close = True


def _chunks_complete(body: bytes) -> bool:
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            return False
        size = int(body[position:line_end].split(b";")[0] or b"0", 16)
        if size == 0:
            return body.find(HEADER_END, line_end) >= 0 or body.endswith(b"\r\n\r\n")
        position = line_end + 2 + size + 2
        if position > len(body):
            return False


@dataclass
class Connection:
    address: tuple[str, int]
    sock: socket.socket | None = None
    answer: Answer | None = None
    due: float = 0.0

    def open(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.sock = sock
        return sock


def run(
    *, url: str, secret: str, rate: int, seconds: float, connections: int, saturate: bool,
    company_id: str,
) -> dict[str, object]:  # fmt: skip
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    total = int(rate * seconds) if not saturate else int(rate * seconds * 3)
    requests = _requests(
        secret, total, company_id, host=parts.netloc or host, path=parts.path or "/"
    )
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    selector = selectors.DefaultSelector()
    idle: deque[Connection] = deque()
    for _ in range(connections):
        conn = Connection((host, port))
        selector.register(conn.open(), selectors.EVENT_READ, conn)
        idle.append(conn)
    start = time.perf_counter() + 0.2
    stop_at = start + seconds
    cpu_started = time.process_time()
    sent = 0
    in_flight = 0

    def reopen(conn: Connection, why: str) -> None:
        errors[why] += 1
        if conn.sock is not None:
            selector.unregister(conn.sock)
            conn.sock.close()
        selector.register(conn.open(), selectors.EVENT_READ, conn)

    while True:
        now = time.perf_counter()
        # Send every delivery that is due on a free connection.
        while idle and sent < total:
            due = start + sent / rate if not saturate else now
            if saturate and now >= stop_at:
                break
            if due > now:
                break
            conn = idle.popleft()
            conn.due, conn.answer = due, Answer()
            try:
                assert conn.sock is not None
                conn.sock.sendall(requests[sent])
            except OSError as exc:
                reopen(conn, type(exc).__name__)
                idle.append(conn)
                sent += 1
                continue
            sent += 1
            in_flight += 1
        finished = sent >= total or (saturate and now >= stop_at)
        if finished and not in_flight:
            break
        if idle and not finished:
            timeout = max(0.0, start + sent / rate - time.perf_counter()) if not saturate else 0
        else:
            timeout = 1.0
        for key, _ in selector.select(timeout):
            conn = key.data
            if conn.answer is None:
                # Nothing asked: the server closed an idle keep-alive connection.
                idle.remove(conn)
                reopen(conn, "closed while idle")
                idle.append(conn)
                continue
            try:
                assert conn.sock is not None
                data = conn.sock.recv(65536)
                if not data:
                    raise AnswerError("closed before answering")
                complete = conn.answer.feed(data)
            except (OSError, AnswerError, ValueError) as exc:
                in_flight -= 1
                conn.answer = None
                reopen(conn, type(exc).__name__)
                idle.append(conn)
                continue
            if not complete:
                continue
            in_flight -= 1
            latencies.append(time.perf_counter() - conn.due)
            statuses[conn.answer.status] += 1
            if conn.answer.close:
                conn.answer = None
                selector.unregister(conn.sock)
                conn.sock.close()
                selector.register(conn.open(), selectors.EVENT_READ, conn)
            conn.answer = None
            idle.append(conn)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_started
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    selector.close()
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000

    return {
        "sent": sum(statuses.values()) + sum(errors.values()),
        "seconds": elapsed,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": dict(errors),
        "p50_ms": pct(0.5),
        "p90_ms": pct(0.9),
        "p99_ms": pct(0.99),
        "max_ms": ordered[-1] * 1000 if ordered else 0.0,
        # The sender's own CPU while sending, per delivery: what it took from the server.
        "sender_cpu_ms": cpu * 1000 / max(1, sent),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.webhook_load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--company-id", default="bench-company")
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--saturate", action="store_true")
    args = parser.parse_args(argv)
    result = run(
        url=args.url,
        secret=args.secret,
        rate=args.rate,
        seconds=args.seconds,
        connections=args.connections,
        saturate=args.saturate,
        company_id=args.company_id,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
