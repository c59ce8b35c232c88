"""Production settings pass Django's deployment checks; the sandbox is refused outside DEBUG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from integrations.core.checks import sandbox_only_in_development

ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET = "k3Jx9-prod-only-" + "Zq7Wv2Lm8Rt4Yp6Nb1Hc5Gd0Fs" * 2
FERNET_KEY = "Y2hhbmdlLW1lLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmM="


def _check_deploy(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: the test settings' DEBUG=1 and SANDBOX_ENABLED=1 must not leak in.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": STRONG_SECRET,
        "FIELD_ENCRYPTION_KEY": FERNET_KEY,
        "ALLOWED_HOSTS": "integration.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_the_sandbox_on(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path, SANDBOX_ENABLED="1")

    assert result.returncode != 0
    assert "integrations.E001" in result.stderr
    assert "SANDBOX_ENABLED is on while DEBUG is off" in result.stderr


def test_check_deploy_fails_without_https_redirect(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0")

    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W004" in result.stderr


def test_the_sandbox_check_refuses_debug_off(settings: Any) -> None:
    settings.SANDBOX_ENABLED = True
    settings.DEBUG = False
    assert [m.id for m in sandbox_only_in_development()] == ["integrations.E001"]
    with pytest.raises(SystemCheckError, match="SANDBOX_ENABLED is on while DEBUG is off"):
        call_command("check")

    settings.DEBUG = True
    assert sandbox_only_in_development() == []


@pytest.mark.django_db
def test_https_is_enforced_and_the_health_probe_exempt(settings: Any, client: Client) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = client.get("/login/")
    behind_proxy = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    probe = client.get("/healthz")

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert behind_proxy.status_code == 200
    assert behind_proxy["Strict-Transport-Security"].startswith("max-age=31536000")
    assert probe.status_code == 200
