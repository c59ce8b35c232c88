"""`python -m benchmarks.webhook_load --url URL --secret whsec_… [--rate N] [--seconds S]
[--connections C] [--saturate]`: signed Pleo deliveries from a process of its own, on
keep-alive connections; prints one JSON object with what was sent and answered.

Paced (the default): delivery i is due at start + i / rate, whatever happened to the ones
before (an open loop, as Pleo sends); its latency is measured from when it was due, so a server
that falls behind shows it in the latency instead of slowing the sender down. Saturate: every
connection sends its next delivery as soon as the last one is answered, to find the most the
intake takes.

Bodies and signatures (Standard Webhooks: HMAC-SHA256 over "id.timestamp.body") are made
before the clock starts, so the sender's own work stays small.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import sys
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit


def _deliveries(secret: str, count: int, company_id: str) -> list[tuple[bytes, dict[str, str]]]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    stamp = str(int(time.time()))
    made = []
    for _ in range(count):
        event_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "eventId": event_id,
                "eventType": "v1.export-job.created",
                "data": {"id": str(uuid.uuid4()), "companyId": company_id, "status": "pending"},
            }
        ).encode()
        msg_id = f"msg_{uuid.uuid4().hex}"
        digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(digest).decode(),
            "X-Forwarded-Proto": "https",
        }
        made.append((body, headers))
    return made


def run(
    *, url: str, secret: str, rate: int, seconds: float, connections: int, saturate: bool,
    company_id: str,
) -> dict[str, object]:  # fmt: skip
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    total = int(rate * seconds) if not saturate else int(rate * seconds * 3)
    deliveries = _deliveries(secret, total, company_id)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    next_index = iter(range(total))
    start = time.perf_counter() + 0.2
    stop_at = start + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(host, parts.port, timeout=30)
        own: list[float] = []
        own_status: Counter[int] = Counter()
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            due = start + index / rate if not saturate else time.perf_counter()
            if saturate and due >= stop_at:
                break
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            body, headers = deliveries[index]
            try:
                conn.request("POST", parts.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                own_status[response.status] += 1
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, parts.port, timeout=30)
                continue
            own.append(time.perf_counter() - due)
        conn.close()
        with lock:
            latencies.extend(own)
            statuses.update(own_status)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
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
