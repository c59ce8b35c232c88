"""`manage.py reliability`: the fault campaign (README, "Reliability").

The campaign needs a fresh database and settings of its own (short remote timeouts, the
sandboxes on), fixed once per process, so it runs in a child process: `python -m reliability`.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Run export jobs end to end against the sandboxes with real workers while injecting "
        "faults; print what the sandboxes hold against what must be there. Exits 1 on any loss, "
        "duplicate, wrong status or stuck run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", type=int, default=30)
        parser.add_argument("--items", type=int, default=3, help="items per job")
        parser.add_argument("--seed", type=int, help="default: a random one, printed")
        parser.add_argument(
            "--workers", type=int, help="worker processes; default 3 on PostgreSQL, else 1"
        )
        parser.add_argument(
            "--minutes", type=float, default=10.0, help="faults after each job until then"
        )
        parser.add_argument("--settle-minutes", type=float, default=6.0)
        parser.add_argument("--faults-per-job", type=float, default=1.5)
        parser.add_argument("--kill-probability", type=float, default=0.04)
        parser.add_argument("--kinds", help="only these fault kinds, comma-separated")
        parser.add_argument("--read-timeout", type=float, help="remote read timeout (3 s)")
        parser.add_argument("--port", type=int, default=0, help="web app port; default a free one")
        parser.add_argument("--keep", action="store_true", help="keep the logs directory")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [sys.executable, "-m", "reliability"]
        for name in ("jobs", "items", "seed", "workers", "minutes", "settle_minutes",
                     "faults_per_job", "kill_probability", "kinds", "read_timeout", "port"):  # fmt: skip
            if options[name] is not None:
                argv += [f"--{name.replace('_', '-')}", str(options[name])]
        if options["keep"]:
            argv.append("--keep")
        status = subprocess.call(argv, cwd=settings.BASE_DIR)  # noqa: S603
        if status:
            raise CommandError(f"The reliability campaign failed (exit status {status}).")
