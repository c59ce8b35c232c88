from __future__ import annotations

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "integrations.connections"
    label = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        from integrations.connections.access import connection_member_ids
        from integrations.connections.selectors import webhook_secrets_for_company
        from integrations.core.access import connection_rule_register
        from integrations.pleo.events import register_secret_source

        # Pages, API and admin show a user only the connections they are a member of.
        connection_rule_register(connection_member_ids)

        # The webhook endpoint verifies Pleo's signatures with the secrets stored here.
        register_secret_source(webhook_secrets_for_company)
