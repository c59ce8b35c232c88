from __future__ import annotations

from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "integrations.masterdata"
    label = "masterdata"
    verbose_name = "Masterdata"
