"""What comes next: after a setup step is saved, the page names the next step with its link.

The order of the steps is the setup overview's, which lives in `masterdata`; the connection
pages (in `connections`, which must not import `masterdata`) ask through this registry, which
`masterdata` fills at start-up, as the webhook handlers are registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class NextStep:
    label: str  # what to do, e.g. "Map the categories"
    url: str


# (connection id, name of the step just saved) -> the next step, or None when unknown.
NextStepSource = Callable[[int, str], "NextStep | None"]
_sources: list[NextStepSource] = []


def next_step_source_register(source: NextStepSource) -> None:
    _sources[:] = [source]


def next_step(*, connection_id: int, after: str) -> NextStep | None:
    if not _sources:
        return None
    return _sources[0](connection_id, after)


def saved_message(text: str, *, connection_id: int, after: str) -> str | SafeString:
    """`text` followed by "Next: <link>", for a success message once a step is saved."""
    step = next_step(connection_id=connection_id, after=after)
    if step is None:
        return text
    return format_html('{} Next: <a href="{}">{}</a>.', text, step.url, step.label)
