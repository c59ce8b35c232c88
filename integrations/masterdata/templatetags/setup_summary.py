"""`{% setup_summaries as rows %}`: the setup state of every connection, for the home page
(whose view lives in core and knows nothing of the setup)."""

from __future__ import annotations

from django import template

from integrations.masterdata.setup.summary import SetupSummary
from integrations.masterdata.setup.summary import setup_summaries as _setup_summaries

register = template.Library()


@register.simple_tag
def setup_summaries() -> list[SetupSummary]:
    return _setup_summaries()
