"""Read by gunicorn when started from this directory (`gunicorn config.wsgi`): the access log
keeps OAuth `code` and `state`, tokens and credentials out of its lines.

Workers and threads: one process per core plus one, so a process waiting on the database
(a webhook delivery's INSERT and COMMIT) leaves the cores to the others, and a few threads in
each to overlap those waits; Python runs one thread per process at a time, so more threads
only queue. `python -m benchmarks --only webhooks` measures the intake with exactly this
file. WEB_CONCURRENCY and WEB_THREADS override both (a larger machine, or a small container).
Keep-alive lets Pleo (and a proxy in front) send many deliveries on one connection.
"""

import multiprocessing
import os

logger_class = "integrations.core.access_log.RedactingAccessLogger"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("WEB_THREADS") or 4)
keepalive = 5
