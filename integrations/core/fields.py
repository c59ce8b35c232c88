"""Model fields of our own: encrypted fields (Fernet) keyed by FIELD_ENCRYPTION_KEY, and a JSON
field that tables of many rows insert quickly."""

from __future__ import annotations

from django.conf import settings
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
