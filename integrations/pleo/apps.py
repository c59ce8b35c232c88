from __future__ import annotations

from django.apps import AppConfig


class PleoConfig(AppConfig):
    name = "integrations.pleo"
    label = "pleo"
    verbose_name = "Pleo"
