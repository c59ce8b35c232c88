"""The faults the campaign injects, drawn from one seeded random generator.

Each draw picks a kind and, for the kinds that are fault rules of a sandbox (`_control/faults`,
integrations/sandbox/README.md), the service, method and path it hits. A rule is used up by the
first request that matches it (`times: 1`), whichever worker sends it: the plan is reproducible
from the seed, the interleaving with the workers is not.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Where the export sends its requests (service path, as the sandboxes see it), by export mode:
# Visma.net documents (creates, attachments, release) and their look-ups; Pleo's job, events,
# items pages, item statuses and receipt downloads. Token endpoints are left out: a token lasts
# an hour, so a rule on them would wait for the whole campaign.
JOURNALS = (("POST", "/v2/journaltransaction"), ("GET", "/v2/journaltransaction"))
INVOICES = (("POST", "/v1/supplierInvoice"), ("GET", "/v1/supplierInvoice"))
PLEO = (
    ("GET", "/v3/export-jobs"),
    ("PUT", "/v3/export-jobs"),
    ("POST", "/v3/export-job-events"),
    ("GET", "/v3/export-items"),
    ("GET", "/files/"),
)
# Pages a malformed answer spoils: Pleo's items pages and job list carry `data`; Visma.net's
# look-ups are plain lists (no `data` to drop, so only HTML or a cut-off body).
PAGES = {
    "pleo": (("GET", "/v3/export-items"), ("GET", "/v3/export-jobs")),
    "visma": (("GET", "/v2/journaltransaction"), ("GET", "/v1/supplierInvoice")),
}


def targets(service: str, mode: str) -> tuple[tuple[str, str], ...]:
    if service == "pleo":
        return PLEO
    # Out-of-pocket expenses go to journals in every mode.
    return JOURNALS + INVOICES if mode == "purchase invoices" else JOURNALS


WRITES = frozenset({"POST", "PUT"})


@dataclass(frozen=True)
class Fault:
    """One planned fault: `kind` names it in the report; `rule` is the sandbox fault rule, if
    the fault is one (else the campaign carries it out itself: a killed worker, expired links)."""

    kind: str
    service: str = ""
    rule: dict[str, Any] | None = None
    seconds: float = 0.0  # for the kinds that last a while or wait before acting


# (kind, weight). Rules on a sandbox, then what the campaign does itself.
KINDS: tuple[tuple[str, int], ...] = (
    ("429 with Retry-After", 6),
    ("429 without Retry-After", 4),
    ("500", 3),
    ("502", 4),
    ("503", 4),
    ("dropped connection", 5),
    ("delay past the client timeout", 4),
    ("lost response", 6),
    ("malformed page: no data", 2),
    ("malformed page: not JSON", 2),
    ("malformed page: truncated", 2),
    ("receipt links expired", 2),
    ("job expired by Pleo mid-run", 2),
    ("access token revoked mid-run", 2),
    ("duplicate webhook deliveries", 2),
    ("webhooks held and delivered out of order", 2),
)
# Drawn apart from the others (`Options.kill_probability`).
KILLS = ("worker killed (SIGKILL)", "worker process killed (SIGKILL)")
# The Pleo sandbox's control endpoints a kind needs (a GET answers 405 where they exist).
NEEDS: dict[str, str] = {
    "job expired by Pleo mid-run": "export-jobs/probe/expire",
    "access token revoked mid-run": "tokens/revoke",
    "duplicate webhook deliveries": "deliveries/redeliver",
    "webhooks held and delivered out of order": "deliveries/release",
}


class FaultPlan:
    def __init__(self, seed: int, *, read_timeout: float, kinds: Sequence[str]) -> None:
        self.rng = random.Random(f"{seed}:faults")
        self.read_timeout = read_timeout
        allowed = set(kinds)
        self.kinds = [k for k, _ in KINDS if k in allowed]
        self.weights = [w for k, w in KINDS if k in allowed]

    def draw(self, mode: str) -> Fault:
        kind = self.rng.choices(self.kinds, weights=self.weights)[0]
        if kind in (
            "receipt links expired",
            "job expired by Pleo mid-run",
            "access token revoked mid-run",
            "duplicate webhook deliveries",
        ):
            return Fault(kind, "pleo", seconds=self.rng.uniform(0.3, 3))
        if kind == "webhooks held and delivered out of order":
            return Fault(kind, "pleo", seconds=float(self.rng.randint(1, 3)))
        if kind.startswith("malformed"):
            service = "pleo" if kind.endswith("no data") else self.rng.choice(("visma", "pleo"))
            method, path = self.rng.choice(PAGES[service])
            malformation = {"no data": "no_data", "not JSON": "not_json", "truncated": "truncated"}
            fault = f"malformed:{malformation[kind.split(': ', 1)[1]]}"
            return Fault(
                kind, service, {"path": path, "method": method, "times": 1, "fault": fault}
            )
        service = self.rng.choice(("visma", "pleo"))
        method, path = self.rng.choice(targets(service, mode))
        rule: dict[str, Any] = {"path": path, "method": method, "times": 1}
        if kind.startswith("429"):
            rule["fault"] = "status:429"
            if kind == "429 with Retry-After":
                rule["retry_after"] = self.rng.randint(1, 3)
        elif kind in ("500", "502", "503"):
            code = kind
            if code == "500" and service == "visma" and method in WRITES:
                code = self.rng.choice(("502", "503"))
                kind = code
            rule["fault"] = f"status:{code}"
        elif kind == "dropped connection":
            rule["fault"] = "reset"
        elif kind == "delay past the client timeout":
            rule["fault"] = f"delay:{int((self.read_timeout + 1.5) * 1000)}"
        elif kind == "lost response":
            rule["fault"] = "lose_response"
        return Fault(kind, service, rule)
