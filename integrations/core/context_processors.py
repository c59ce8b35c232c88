from __future__ import annotations

from django.http import HttpRequest

from integrations.core.return_to import ReturnLink, return_link
from integrations.core.roles import SUPPORT, has_role, is_finance


def roles(request: HttpRequest) -> dict[str, bool]:
    user = request.user
    return {"is_finance": is_finance(user), "is_support": has_role(user, SUPPORT)}


def return_to(request: HttpRequest) -> dict[str, ReturnLink | None]:
    """The "Back to run #N" link of a page opened from a failure's fix link."""
    if not request.user.is_authenticated:
        return {"return_to": None}
    return {"return_to": return_link(request)}
