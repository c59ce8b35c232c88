from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application: Callable[..., Any] = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after the settings module is chosen

if settings.SANDBOX_ENABLED:
    # The stand-ins for Visma.net and Pleo, served without the product's middleware.
    from integrations.sandbox.wsgi import served_apart

    application = served_apart(application)
