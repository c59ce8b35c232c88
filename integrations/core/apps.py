from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from integrations.core.roles import roles_sync

    roles_sync()


class CoreConfig(AppConfig):
    name = "integrations.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from integrations.core import checks  # noqa: F401  (registers the system checks)

        # After every migrate the groups get the permissions of all installed models.
        post_migrate.connect(_sync_roles, dispatch_uid="core.sync_roles")
