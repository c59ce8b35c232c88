"""Run the web server (gunicorn) and the task worker (django-q2) together until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser


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
        ]  # fmt: skip
        if not options["no_worker"] and "export_resume" in get_commands():
            # Jobs left running by a crash continue as soon as the worker is up.
            call_command("export_resume")
        processes = [subprocess.Popen(web)]  # noqa: S603
        if not options["no_worker"]:
            processes.append(subprocess.Popen([sys.executable, "manage.py", "qcluster"]))
        self.stdout.write(f"Serving on http://{options['bind']}:{port}/ (Ctrl-C stops)")

        def stop(signum: int, frame: Any) -> None:
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            stop(signal.SIGTERM, None)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
