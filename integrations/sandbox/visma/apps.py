from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save

# The reference data a document is checked against (`rules.cached` keeps it per process).
REFERENCE_MODELS = (
    "Account",
    "Currency",
    "Branch",
    "FinancialPeriod",
    "Dimension",
    "Segment",
    "SegmentValue",
    "Vat",
    "VatCategory",
)


def _reference_changed(sender: Any, **kwargs: Any) -> None:
    from integrations.sandbox.common import reference_changed

    reference_changed("visma")


class SandboxVismaConfig(AppConfig):
    name = "integrations.sandbox.visma"
    label = "sandbox_visma"
    verbose_name = "Sandbox: Visma"

    def ready(self) -> None:
        # Every save, create and delete of a row (seeding, control changes, the API's own
        # writes, a test's ORM write) gives the service a new reference stamp in the same
        # transaction. QuerySet.update() and bulk_create() send no signal: code that changes
        # reference rows that way calls `reference_changed("visma")` itself.
        for name in REFERENCE_MODELS:
            model = self.get_model(name)
            post_save.connect(_reference_changed, sender=model, weak=False)
            post_delete.connect(_reference_changed, sender=model, weak=False)
        from integrations.sandbox.visma.models import VatCategory

        through = VatCategory.vats.through
        m2m_changed.connect(_reference_changed, sender=through, weak=False)
