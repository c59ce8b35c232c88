"""`{% setup_summaries user as rows %}`: the setup state of the user's connections, for the home page
(whose view lives in core and knows nothing of the setup)."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from integrations.masterdata.setup.summary import SetupSummary
from integrations.masterdata.setup.summary import setup_summaries as _setup_summaries

register = template.Library()


@register.simple_tag
def setup_summaries(user: AbstractBaseUser | AnonymousUser) -> list[SetupSummary]:
    return _setup_summaries(user=user)
