"""Carries out the planned faults while the campaign runs.

Fault rules go to the sandboxes' `_control/faults`; the other kinds are control calls of the
Pleo sandbox (integrations/sandbox/README.md: expire a job, revoke tokens, expire receipt links,
redeliver and hold webhook deliveries) or the campaign's own doing (SIGKILL a worker). Timed
actions run from `tick()`, which the campaign calls while it waits, so everything happens in
one thread.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Callable
from typing import Any

from benchmarks.sandbox import Sandboxes
from reliability.faults import KILLS, NEEDS, Fault, FaultPlan
from reliability.outcome import Outcome
from reliability.processes import WorkerPool

# Fallback for a Pleo sandbox without `_control/file-links/expire`: links handed out for a few
# seconds live this long, so most have expired when the receipt is fetched.
RECEIPT_LINK_SECONDS = 2


def control_available(sandboxes: Sandboxes, path: str) -> bool:
    """A control endpoint exists when a GET to it answers 405 (it takes POST), not 404."""
    response = sandboxes.session.get(sandboxes.url("pleo", path), timeout=30)
    return response.status_code == 405


def _job_id_of(payload: Any) -> str:
    """The job id in a stored `v1.export-job.created` body, flat or wrapped under `payload`."""
    if not isinstance(payload, dict):
        return ""
    if isinstance(payload.get("payload"), dict):
        payload = payload["payload"]
    data = payload.get("data")
    return str(data.get("id") or "") if isinstance(data, dict) else ""


class Injector:
    def __init__(
        self, *, sandboxes: Sandboxes, pool: WorkerPool, plan: FaultPlan, outcome: Outcome
    ) -> None:
        self.sandboxes = sandboxes
        self.pool = pool
        self.plan = plan
        self.outcome = outcome
        self.rng = random.Random(f"{outcome.options.seed}:kills")
        self.rules: dict[tuple[str, int], str] = {}
        self.actions: list[tuple[float, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.link_seconds = int(self._get("file-link-expiry")["fileLinkExpirySeconds"])
        self.links_expire = control_available(sandboxes, "file-links/expire")
        self.job_items: dict[str, list[Any]] = {}
        self.event_ids: dict[str, str] = {}
        # Items of jobs Pleo expired mid-run: exported again in a new job, as a person would.
        self.followups: list[list[Any]] = []
        self.hold_next = False
        self.holding = False

    # -- plumbing ----------------------------------------------------------------------------

    def _get(self, path: str) -> Any:
        response = self.sandboxes.session.get(self.sandboxes.url("pleo", path), timeout=60)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: Any) -> Any:
        return self.sandboxes._post("pleo", path, body)

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        heapq.heappush(self.actions, (time.monotonic() + seconds, next(self.order), action))

    def tick(self) -> None:
        while self.actions and self.actions[0][0] <= time.monotonic():
            _, _, action = heapq.heappop(self.actions)
            action()

    def _event_id(self, job_id: str) -> str:
        """The eventId of the job's `v1.export-job.created`, as the integration stored it."""
        if job_id not in self.event_ids:
            from integrations.pleo.models import WebhookEvent

            recent = WebhookEvent.objects.filter(
                event_type="v1.export-job.created", accepted=True
            ).order_by("-id")[:50]
            for event in recent:
                found = _job_id_of(event.payload)
                if found and event.event_id:
                    self.event_ids.setdefault(found, event.event_id)
        return self.event_ids.get(job_id, "")

    # -- around each job ---------------------------------------------------------------------

    def before_job(self) -> None:
        """Hold webhook deliveries when the previous draw asked for it: earlier jobs' events
        are sent again meanwhile, and all of them go out shuffled after the next job."""
        if not self.hold_next:
            return
        self.hold_next = False
        self._post("webhooks", {"hold": True})
        self.holding = True
        earlier = [j for j in self.job_items if self._event_id(j)]
        for job_id in self.rng.sample(earlier, min(2, len(earlier))):
            self._post("deliveries/redeliver", {"eventId": self._event_id(job_id)})

    def after_job(self, mode: str, job_id: str, items: list[Any], *, faults: bool) -> None:
        self.job_items[job_id] = items
        if self.holding:
            self.holding = False
            self._post(
                "deliveries/release", {"order": "shuffled", "seed": self.rng.randrange(1 << 30)}
            )
            self._post("webhooks", {"hold": False})
            self.outcome.injected["webhooks held and delivered out of order"] += 1
        if not faults:
            return
        mean = self.outcome.options.faults_per_job
        count = int(mean) + (1 if self.plan.rng.random() < mean - int(mean) else 0)
        for _ in range(count if self.plan.kinds else 0):
            self.inject(self.plan.draw(mode), job_id)
        if self.rng.random() < self.outcome.options.kill_probability:
            self.inject(Fault(self.rng.choice(KILLS), seconds=self.rng.uniform(0, 2)), job_id)

    # -- the faults --------------------------------------------------------------------------

    def inject(self, fault: Fault, job_id: str) -> None:
        kind = fault.kind
        self.outcome.planned[kind] += 1
        if fault.rule is not None:
            answer = self.sandboxes._post(fault.service, "faults", fault.rule)
            self.rules[(fault.service, int(answer["id"]))] = kind
        elif kind == "receipt links expired":
            self.later(fault.seconds, self._links_expire)
        elif kind == "job expired by Pleo mid-run":
            self.later(fault.seconds, lambda: self._job_expire(job_id))
        elif kind == "access token revoked mid-run":
            self.later(fault.seconds, self._tokens_revoke)
        elif kind == "duplicate webhook deliveries":
            self.later(fault.seconds, lambda: self._redeliver(job_id))
        elif kind == "webhooks held and delivered out of order":
            self.hold_next = True
        elif kind in KILLS:
            index = self.rng.randrange(len(self.pool.processes))
            self.later(fault.seconds, lambda: self._kill(kind, index))

    def _links_expire(self) -> None:
        self.outcome.injected["receipt links expired"] += 1
        if self.links_expire:
            # Every link handed out so far answers 403; items fetched again have fresh ones.
            self._post("file-links/expire", {})
            return
        self._post("file-link-expiry", {"seconds": RECEIPT_LINK_SECONDS})
        self.later(self.rng.uniform(3, 8), self._links_restore)

    def _links_restore(self) -> None:
        self._post("file-link-expiry", {"seconds": self.link_seconds})

    def _job_expire(self, job_id: str) -> None:
        response = self.sandboxes.session.post(
            self.sandboxes.url("pleo", f"export-jobs/{job_id}/expire"), timeout=60
        )
        if response.status_code == 200:  # 409: the job was already done
            self.outcome.injected["job expired by Pleo mid-run"] += 1
            self.followups.append(self.job_items[job_id])

    def _tokens_revoke(self) -> None:
        # The access tokens end; the refresh token still renews them.
        answer = self._post("tokens/revoke", {"refresh": "works"})
        if answer.get("revokedAccessTokens"):
            self.outcome.injected["access token revoked mid-run"] += 1

    def _redeliver(self, job_id: str) -> None:
        event_id = self._event_id(job_id)
        if not event_id:
            return
        same = self.rng.random() < 0.5
        body = {"eventId": event_id, "times": 1 if same else self.rng.randint(1, 2)}
        body["sameWebhookId"] = same
        self._post("deliveries/redeliver", body)
        self.outcome.injected["duplicate webhook deliveries"] += 1

    def _kill(self, kind: str, index: int) -> None:
        if kind == KILLS[0]:
            self.pool.kill_cluster(index)
            self.later(self.rng.uniform(0.5, 3), self.pool.ensure_running)
            self.outcome.injected[kind] += 1
        elif self.pool.kill_one_process(index, self.rng):
            self.outcome.injected[kind] += 1

    def stop(self) -> None:
        """No more faults: count the rules that were hit, remove them all, send held
        deliveries, restore the links and start every worker that is down."""
        for service in ("visma", "pleo"):
            response = self.sandboxes.session.get(self.sandboxes.url(service, "faults"), timeout=60)
            response.raise_for_status()
            for rule in response.json()["faults"]:
                kind = self.rules.get((service, int(rule["id"])))
                if kind and rule["hits"]:
                    self.outcome.injected[kind] += int(rule["hits"])
            self.sandboxes.session.delete(
                self.sandboxes.url(service, "faults"), timeout=60
            ).raise_for_status()
        self.rules.clear()
        # Actions not carried out yet stay planned only.
        self.actions.clear()
        if self.holding:
            self._post("deliveries/release", {"order": "created"})
            self._post("webhooks", {"hold": False})
            self.holding = False
        self.hold_next = False
        if not self.links_expire:
            self._links_restore()
        self.pool.ensure_running()


def kinds_available(sandboxes: Sandboxes) -> list[str]:
    """The fault kinds this Pleo sandbox can carry out."""
    from reliability.faults import KINDS

    return [
        kind for kind, _ in KINDS if kind not in NEEDS or control_available(sandboxes, NEEDS[kind])
    ]
