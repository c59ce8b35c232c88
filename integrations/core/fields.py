"""Model fields of our own: encrypted fields (Fernet) keyed by FIELD_ENCRYPTION_KEY, and a JSON
field that tables of many rows insert quickly."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from encrypted_fields import fields as encrypted


class _SettingsKeysMixin:
    # The package derives keys from SECRET_KEY; we use dedicated Fernet keys so that rotating
    # SECRET_KEY (sessions) never makes stored tokens unreadable. The first key encrypts, all
    # keys decrypt.
    @cached_property
    def keys(self) -> list[bytes]:
        return [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]


class EncryptedTextField(_SettingsKeysMixin, encrypted.EncryptedTextField):
    pass


class EncryptedJSONField(_SettingsKeysMixin, encrypted.EncryptedJSONField):
    pass


class BulkJSONField(models.JSONField):
    """A JSON column of a table that takes many rows at once (the mirror of tens of thousands of
    Visma.net suppliers).

    On PostgreSQL, Django 5.2 inserts a bulk_create as one array per column through UNNEST
    (`…::jsonb[]`): psycopg then writes each document into the array literal escaping its every
    quote in Python, about four times the cost of the same documents as plain parameters. Django
    keeps the per-row VALUES insert for a field with its own placeholder, which this field has
    (the usual `%s`); nothing else changes."""

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"
