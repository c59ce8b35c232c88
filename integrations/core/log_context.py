"""Log lines say which connection, export run, item or sync run they concern.

The export run, the poster and the sync already declare what they work for with
`core.context.call_links(...)` (so each `ApiCall` row links to it); this filter reads the same
context variable, so a log line written anywhere inside that work carries it too, e.g.
`… Visma.net refused the journal [connection=3 run=41 item=907]`.
"""

from __future__ import annotations

import logging

from integrations.core.context import current_links

# Field of the context → its name in the log line.
SHOWN = (
    ("connection_id", "connection"),
    ("export_run_id", "run"),
    ("export_item_id", "item"),
    ("sync_run_id", "sync_run"),
)


class LogContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        links = current_links()
        for field, _ in SHOWN:
            setattr(record, field, links.get(field))
        shown = " ".join(f"{name}={links[field]}" for field, name in SHOWN if field in links)
        record.context = f" [{shown}]" if shown else ""
        return True
