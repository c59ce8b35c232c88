"""Items needing attention, for the pages that list connections (home, connections)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse

from integrations.exports.models import ExportItem

register = template.Library()


@dataclass(frozen=True)
class Attention:
    count: int
    oldest: ExportItem
    url: str


@register.simple_tag
def export_attention(connection_id: int) -> Attention | None:
    """Failed items of the connection: how many, the oldest, and where to see them."""
    failed = ExportItem.objects.filter(connection_id=connection_id, status=ExportItem.Status.FAILED)
    oldest = failed.order_by("created_at", "pk").first()
    if oldest is None:
        return None
    url = reverse("exports:run", args=[oldest.run_id])
    return Attention(count=failed.count(), oldest=oldest, url=url)
