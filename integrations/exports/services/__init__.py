"""The export runtime: runs (claim, fetch, resume), the poster, receipt transfer and reporting.

Remote calls are never made inside a database transaction: each step is recorded, committed,
then the call is made and its result recorded (DESIGN §4, §6).
"""

from __future__ import annotations

from integrations.exports.services.retry import (
    ExportRetryError,
    RetryResult,
    export_items_retry,
    retry_error_text,
)
from integrations.exports.services.runs import (
    export_job_created_handler,
    export_jobs_poll,
    export_run_process,
    export_run_register,
    export_runs_resume,
)

__all__ = [
    "ExportRetryError",
    "RetryResult",
    "export_items_retry",
    "export_job_created_handler",
    "export_jobs_poll",
    "export_run_process",
    "export_run_register",
    "export_runs_resume",
    "retry_error_text",
]
