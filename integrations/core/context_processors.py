from __future__ import annotations

from django.http import HttpRequest

from integrations.core.roles import SUPPORT, has_role, is_finance


def roles(request: HttpRequest) -> dict[str, bool]:
    user = request.user
    return {"is_finance": is_finance(user), "is_support": has_role(user, SUPPORT)}
