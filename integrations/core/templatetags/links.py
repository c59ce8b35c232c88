"""`{% load links %}` … `{{ remote_url|https_only }}`: a remote link, or nothing."""

from __future__ import annotations

from typing import Any

from django import template

from integrations.core.links import https_url

register = template.Library()


@register.filter
def https_only(value: Any) -> str:
    return https_url(value)
