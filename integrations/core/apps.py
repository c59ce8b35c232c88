from __future__ import annotations

import gc
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from integrations.core.roles import roles_sync

    roles_sync()


def _task_process_spawned(sender: Any, **kwargs: Any) -> None:
    """A task process of the worker has started: what it holds now (Django, the apps, their
    modules) lives as long as the process. Frozen out of the garbage collector's reach, it is no
    longer walked by each full collection: about a tenth of a second every ten seconds of an
    export, with every thread of the run stopped meanwhile. What the tasks create is collected
    as before."""
    gc.collect()
    gc.freeze()


class CoreConfig(AppConfig):
    name = "integrations.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from integrations.core import checks  # noqa: F401  (registers the system checks)

        # After every migrate the groups get the permissions of all installed models.
        post_migrate.connect(_sync_roles, dispatch_uid="core.sync_roles")
        # django-q2 sends it in each task process it starts.
        post_spawn.connect(_task_process_spawned, dispatch_uid="core.task_process_spawned")
