"""Rights for the configuration API: the same rule as the pages (finance writes, finance or
support reads, everyone else 403)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from integrations.core.roles import can_view_setup, is_finance


class FinanceWritesSupportReads(BasePermission):
    message = "Only finance staff can change the setup; finance and support staff can read it."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return can_view_setup(user)
        return is_finance(user)
