"""Settings for the test suite: the same environment-driven settings with test defaults."""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SANDBOX_ENABLED", "1")
os.environ.setdefault("Q_SYNC", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
# A fixed, test-only Fernet key so test runs never touch .local/.
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "Y2hhbmdlLW1lLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmM=")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
