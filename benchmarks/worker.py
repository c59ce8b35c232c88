"""`python -m benchmarks.worker STATS_DIR`: the task worker (`manage.py qcluster`), counting
what its task processes do for the benchmark next door.

The cluster forks its task processes from this one, so what is set up here runs in each: every
database connection they open counts its queries (by statement and table), and after each task
a process writes its totals and its peak resident set (VmHWM) to `STATS_DIR/<pid>.json`. The
benchmark reads those files (and resets the peaks through /proc/<pid>/clear_refs) around each
measured phase. Nothing of the product changes: the same `qcluster` command runs.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

_queries: Counter[str] = Counter()


def _count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    from benchmarks.measure import query_kind

    _queries[query_kind(sql)] += 1
    return execute(sql, params, many, context)


def _vm_hwm() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main(argv: list[str]) -> None:
    stats_dir = Path(argv[0])
    stats_dir.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.urls import get_resolver

    # A worker loads the URL configuration, and with it every view module, the first time a
    # task builds a link; the web app loads it at its first request. Loaded here, once for
    # every task process, that one-time import (about 200 modules, some 5 MB) lands in no
    # measured phase's peak: the peaks compare what the items cost, not when the worker
    # first built a link.
    get_resolver().url_patterns  # noqa: B018
    from django.core.management import call_command
    from django.db.backends.signals import connection_created
    from django_q.signals import post_execute_in_worker

    def on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.append(_count)

    def after_task(sender: Any, **kwargs: Any) -> None:
        path = stats_dir / f"{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"queries": dict(_queries), "peak_rss": _vm_hwm()}))
        tmp.replace(path)

    connection_created.connect(on_connection, weak=False)
    post_execute_in_worker.connect(after_task, weak=False)
    call_command("qcluster")


if __name__ == "__main__":
    main(sys.argv[1:])
