"""The two roles of the product and the checks that pages and endpoints use.

* finance: connects the systems, changes setup, starts exports.
* support: reads everything in the admin (no secrets), retries failed work; cannot change setup.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

FINANCE = "finance"
SUPPORT = "support"

# Apps whose records finance staff manage and support staff read.
MANAGED_APPS = ("connections", "masterdata", "exports")
# Apps support staff read in the admin (django-q2's tasks and schedules: superusers only).
READ_APPS = (*MANAGED_APPS, "core", "pleo")
# Extra permissions support staff hold: retrying failed work.
SUPPORT_ACTION_PREFIXES = ("retry_",)

F = TypeVar("F", bound=Callable[..., HttpResponse])


def has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    # The user's groups read once per user object (a request's), as Django caches
    # permissions: a page asking for several roles makes one query, not one per role.
    names: frozenset[str] | None = getattr(user, "_role_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        user._role_names = names  # type: ignore[attr-defined]
    return role in names


def is_finance(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, FINANCE)


def can_view_setup(user: AbstractBaseUser | AnonymousUser) -> bool:
    return is_finance(user) or has_role(user, SUPPORT)


def finance_required(view: F) -> F:
    """Finance staff may do anything; support staff may read (GET/HEAD) but not change (403);
    anonymous users go to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.method in ("GET", "HEAD") and can_view_setup(request.user):
            return view(request, *args, **kwargs)
        if not is_finance(request.user):
            raise PermissionDenied("Only finance staff can change the setup.")
        return view(request, *args, **kwargs)

    return cast(F, wrapper)


def roles_sync() -> None:
    """Create the groups and give them the permissions of the installed apps (idempotent)."""
    finance, _ = Group.objects.get_or_create(name=FINANCE)
    support, _ = Group.objects.get_or_create(name=SUPPORT)
    managed = Permission.objects.filter(content_type__app_label__in=MANAGED_APPS)
    readable = Permission.objects.filter(
        content_type__app_label__in=READ_APPS, codename__startswith="view_"
    )
    finance.permissions.set(set(managed) | set(readable))
    support_actions = [p for p in managed if p.codename.startswith(SUPPORT_ACTION_PREFIXES)]
    support.permissions.set(set(readable) | set(support_actions))
