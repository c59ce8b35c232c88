"""One line per connection for the home page: how many setup steps are done, missing or broken,
and the first one to fix."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from integrations.connections.models import Connection
from integrations.connections.selectors import connection_list
from integrations.masterdata.setup.selectors import SetupStep, setup_overview


@dataclass(frozen=True)
class SetupSummary:
    connection: Connection
    done: int
    missing: int
    broken: int
    next_step: SetupStep | None  # the first step not done, in the order a team works

    @property
    def all_done(self) -> bool:
        return self.next_step is None


def setup_summaries(*, user: AbstractBaseUser | AnonymousUser) -> list[SetupSummary]:
    summaries = []
    for connection in connection_list(user=user):
        steps = setup_overview(connection=connection)
        summaries.append(
            SetupSummary(
                connection=connection,
                done=sum(s.state == "done" for s in steps),
                missing=sum(s.state == "missing" for s in steps),
                broken=sum(s.state == "broken" for s in steps),
                next_step=next((s for s in steps if s.state != "done"), None),
            )
        )
    return summaries
