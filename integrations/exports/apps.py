from __future__ import annotations

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "integrations.exports"
    label = "exports"
    verbose_name = "Exports"

    def ready(self) -> None:
        # The Pleo webhook endpoint hands `v1.export-job.created` to whoever registered for it;
        # it must not import this app (dependencies point one way, DESIGN §3).
        from integrations.exports.services.runs import export_job_created_handler
        from integrations.pleo.events import EXPORT_JOB_CREATED, register_handler

        register_handler(EXPORT_JOB_CREATED, export_job_created_handler)

        from integrations.core.metrics import database_collector_register
        from integrations.exports.metrics import ExportCollector

        # /metrics reads the runs and items from the database at each scrape.
        database_collector_register(ExportCollector())
