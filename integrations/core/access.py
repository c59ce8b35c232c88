"""Access per connection: a finance or support user sees and changes only the connections they
are members of; superusers see every connection.

One rule, applied at every door: the page decorator (`connection_member_required`), the API
permission (`ConnectionMember`) and the admin mixin (`ConnectionScopedAdmin`) all ask
`connection_ids_for_user`. `core` knows no connection model, so the connections app registers
the rule at start-up (`connection_rule_register`), as it registers the webhook secrets.

A connection the user may not see answers 404, never 403: the answer must not confirm that an
id exists. Until a rule is registered nobody but a superuser sees any connection.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

User = AbstractBaseUser | AnonymousUser
# The connections a (signed-in, non-super) user is a member of: a `.values("connection_id")`
# queryset, used as a subquery.
Rule = Callable[[AbstractBaseUser], "QuerySet[Any]"]
F = TypeVar("F", bound=Callable[..., HttpResponse])
M = TypeVar("M", bound=Model)

_rule: list[Rule] = []
# URL arguments that name a connection directly.
CONNECTION_KWARGS = ("connection_id", "pk")


def connection_rule_register(rule: Rule) -> None:
    _rule[:] = [rule]


def connection_ids_for_user(user: User) -> QuerySet[Any] | None:
    """The connection ids `user` may see, or None for "every connection" (superusers)."""
    if user.is_authenticated and getattr(user, "is_superuser", False):
        return None
    if not user.is_authenticated or not _rule or not getattr(user, "is_active", False):
        return _empty()
    return _rule[0](cast(AbstractBaseUser, user))


def _empty() -> QuerySet[Any]:
    from integrations.core.models import ApiCall  # any table: an empty id subquery

    return ApiCall.objects.none().values("connection_id")


def scope_to_user(queryset: QuerySet[M], user: User, *, field: str = "connection") -> QuerySet[M]:
    """`queryset` narrowed to the rows of the connections `user` may see; `field` is the path
    from the row to its connection (`connection`, `run__connection`, `connection_id`, `pk`)."""
    ids = connection_ids_for_user(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def scope_to_request(
    queryset: QuerySet[M], request: HttpRequest, *, field: str = "connection"
) -> QuerySet[M]:
    """`scope_to_user` for the user of `request`, with their connection ids read once per
    request and given to the database as values: a page that scopes several lists makes one
    query for them, and the planner estimates a member's list as well as a superuser's, which
    it cannot through a subquery (the admin's page counts rest on that estimate)."""
    ids = connection_ids_for_user(request.user)
    if ids is None:
        return queryset
    listed: list[Any] | None = getattr(request, "_visible_connection_ids", None)
    if listed is None:
        listed = [row["connection_id"] for row in ids]
        request._visible_connection_ids = listed  # type: ignore[attr-defined]
    return queryset.filter(**{f"{field}__in": listed})


def connection_visible(user: User, connection_id: Any) -> bool:
    ids = connection_ids_for_user(user)
    if ids is None:
        return True
    try:
        wanted = int(connection_id)
    except (TypeError, ValueError):
        return False
    return ids.filter(connection_id=wanted).exists()


def object_visible(
    user: User, model: type[Model], object_id: Any, *, field: str = "connection"
) -> bool:
    rows = model._default_manager.filter(pk=object_id)
    return scope_to_user(rows, user, field=field).exists()


# -- pages -----------------------------------------------------------------------------------


@overload
def connection_member_required(view: F, /) -> F: ...
@overload
def connection_member_required(
    *, model: type[Model], kwarg: str, field: str = "connection"
) -> Callable[[F], F]: ...
def connection_member_required(
    view: F | None = None,
    /,
    *,
    model: type[Model] | None = None,
    kwarg: str = "",
    field: str = "connection",
) -> F | Callable[[F], F]:
    """Page views: anonymous users go to the login page; a user who is not a member of the
    connection in the URL (`connection_id`/`pk`, or the connection of `model` found by
    `kwarg`) gets 404. Put it above the role check, so ids are never confirmed by a 403."""

    def decorate(inner: F) -> F:
        @wraps(inner)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if model is not None:
                visible = object_visible(request.user, model, kwargs[kwarg], field=field)
            else:
                name = next(k for k in CONNECTION_KWARGS if k in kwargs)
                visible = connection_visible(request.user, kwargs[name])
            if not visible:
                raise Http404("No such connection.")
            return inner(request, *args, **kwargs)

        return cast(F, wrapper)

    return decorate(view) if view is not None else decorate


# -- JSON API --------------------------------------------------------------------------------


class ConnectionMember(BasePermission):
    """The API's door: the caller must be a member of the connection in the URL. Anonymous
    callers are refused by the authentication answer (401/403); non-members get 404."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        connection_id = view.kwargs.get("connection_id")
        if connection_id is not None and not connection_visible(user, connection_id):
            raise NotFound("No such connection.")
        return True


# -- admin -----------------------------------------------------------------------------------


class ConnectionScopedAdmin(admin.ModelAdmin[Any]):
    """Admin pages show only the rows of the user's connections. `connection_field` is the path
    from a row to its connection. Rows of another connection are as absent as unknown ids (the
    change page answers as Django does for an unknown id); list filters offer only the values
    of visible rows, so other connections' names do not show there either."""

    connection_field = "connection"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_request(super().get_queryset(request), request, field=self.connection_field)

    def get_list_filter(self, request: HttpRequest) -> Any:
        scoped: list[Any] = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                scoped.append((entry, admin.RelatedOnlyFieldListFilter))
            else:
                scoped.append(entry)
        return scoped

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A select of connections, runs or items offers only the user's (the history's form
        # and any editable form would list every company's otherwise).
        related = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related, ConnectionScopedAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _visible_or_404(self, request: HttpRequest, object_id: str) -> None:
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("No such object.")

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # django-simple-history falls back to the historical rows for an object that the
        # queryset does not hold: check first.
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._visible_or_404(request, object_id)
        parent = cast(Any, super())
        return cast(
            HttpResponse, parent.history_form_view(request, object_id, version_id, extra_context)
        )


class ReadOnlyScopedAdmin(ConnectionScopedAdmin):
    """Records the product writes itself (logs, runs, notices): read-only for everyone."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
