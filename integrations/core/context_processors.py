from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from integrations.core.return_to import ReturnLink, return_link
from integrations.core.roles import SUPPORT, has_role, is_finance


def roles(request: HttpRequest) -> dict[str, Any]:
    """Read when a template asks (the product's pages), not on every rendering: the admin's
    pages never do, and its long lists count their queries."""
    user = request.user
    return {
        "is_finance": SimpleLazyObject(lambda: is_finance(user)),
        "is_support": SimpleLazyObject(lambda: has_role(user, SUPPORT)),
    }


def return_to(request: HttpRequest) -> dict[str, ReturnLink | None]:
    """The "Back to run #N" link of a page opened from a failure's fix link."""
    if not request.user.is_authenticated:
        return {"return_to": None}
    return {"return_to": return_link(request)}
