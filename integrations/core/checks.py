"""System checks for how the installation is configured (run by `manage.py check`, `migrate`,
`serve` and every management command that checks)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security)
def sandbox_only_in_development(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # The sandbox's control API is unauthenticated and shows the webhook secret (DESIGN §6):
    # it never runs in production, which is what DEBUG off means here.
    if getattr(settings, "SANDBOX_ENABLED", False) and not settings.DEBUG:
        return [
            Error(
                "SANDBOX_ENABLED is on while DEBUG is off.",
                hint=(
                    "The sandbox (local stand-ins for Visma.net and Pleo, with an "
                    "unauthenticated control API) is for development, tests and the demo only. "
                    "Set SANDBOX_ENABLED=0 in production."
                ),
                id="integrations.E001",
            )
        ]
    return []
