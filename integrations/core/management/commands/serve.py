"""Run the web server (gunicorn) and the task worker (django-q2) together until Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser

STOP_GRACE_SECONDS = 3.0


class Command(BaseCommand):
    help = "Run the web app and the worker together; stop both on Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--bind", default="127.0.0.1")
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        web = [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "--bind", f"{options['bind']}:{port}",
            # The sandbox is served by the same process and is called back by our own clients,
            # so one request may wait for another: use threads.
            "--workers", "2", "--threads", "8", "--worker-class", "gthread",
            "--timeout", "120", "--access-logfile", "-",
            # OAuth code and state (in callback addresses and referrers) stay out of the log.
            "--logger-class", "integrations.core.access_log.RedactingAccessLogger",
        ]  # fmt: skip
        if not options["no_worker"] and "export_resume" in get_commands():
            # Jobs left running by a crash continue as soon as the worker is up.
            call_command("export_resume")
        # Each child leads its own process group, so stopping it also stops the processes it
        # forked (gunicorn's workers, the task cluster's workers), even after a hard kill.
        processes = [subprocess.Popen(web, start_new_session=True)]  # noqa: S603
        if not options["no_worker"]:
            processes.append(
                subprocess.Popen([sys.executable, "manage.py", "qcluster"], start_new_session=True)
            )
        self.stdout.write(f"Serving on http://{options['bind']}:{port}/ (Ctrl-C stops)")

        stopping = threading.Event()

        def stop(signum: int, frame: Any) -> None:
            stopping.set()
            for process in processes:
                _signal_group(process, signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping.is_set() and all(p.poll() is None for p in processes):
                stopping.wait(0.5)
        finally:
            stop(signal.SIGTERM, None)
            # A worker stopped politely first finishes the tasks it has already taken, which can
            # take minutes during an export. Every task is safe to run again and exports resume
            # where they stopped, so after a short grace the rest is cut off: Ctrl-C returns the
            # prompt within a few seconds.
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signum)
