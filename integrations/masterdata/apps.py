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
