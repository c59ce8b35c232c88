from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "integrations.connections"
    label = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from integrations.connections.access import connection_member_ids
        from integrations.connections.models import Connection
        from integrations.connections.selectors import webhook_secrets_for_company
        from integrations.core.access import connection_rule_register
        from integrations.pleo.events import register_secret_source

        # Pages, API and admin show a user only the connections they are a member of.
        connection_rule_register(connection_member_ids)

        # The webhook endpoint verifies Pleo's signatures with the secrets stored here, and
        # keeps them a few seconds: a connection saved or deleted here has them read again.
        register_secret_source(webhook_secrets_for_company)
        post_save.connect(
            _webhook_secrets_changed, sender=Connection, dispatch_uid="webhook-secrets-saved"
        )
        post_delete.connect(
            _webhook_secrets_changed, sender=Connection, dispatch_uid="webhook-secrets-deleted"
        )


def _webhook_secrets_changed(**kwargs: Any) -> None:
    from integrations.pleo.events import webhook_secrets_changed

    webhook_secrets_changed()
