from __future__ import annotations

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "integrations.connections"
    label = "connections"
    verbose_name = "Connections"
