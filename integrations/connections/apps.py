from __future__ import annotations

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "integrations.connections"
    label = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        from integrations.connections.selectors import webhook_secrets_for_company
        from integrations.pleo.events import register_secret_source

        # The webhook endpoint verifies Pleo's signatures with the secrets stored here.
        register_secret_source(webhook_secrets_for_company)
