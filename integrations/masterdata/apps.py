from __future__ import annotations

from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "integrations.masterdata"
    label = "masterdata"
    verbose_name = "Masterdata"

    def ready(self) -> None:
        # The Pleo webhook endpoint hands `v1.vendor.created` to whoever registered for it; it
        # must not import this app (dependencies point one way).
        from integrations.masterdata.vendors import vendor_created_handler
        from integrations.pleo.events import VENDOR_CREATED, register_handler

        register_handler(VENDOR_CREATED, vendor_created_handler)

        # The connection pages name the next setup step; the order is the setup overview's.
        from integrations.core.guidance import next_step_source_register
        from integrations.masterdata.setup.selectors import setup_next_step

        next_step_source_register(
            lambda connection_id, after: setup_next_step(connection_id=connection_id, after=after)
        )
