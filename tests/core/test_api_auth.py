"""The JSON API answers 401 (not 403) to a missing or invalid token, naming the scheme."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from integrations.connections.models import Connection

pytestmark = pytest.mark.django_db


def _url() -> str:
    connection = Connection.objects.create(name="Nordlys AS")
    return reverse("api_export_settings", kwargs={"connection_id": connection.pk})


def test_an_invalid_token_is_answered_401_with_the_token_scheme() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token-0123456789abcdef")

    response = client.get(_url())

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_no_credentials_is_answered_401() -> None:
    response = APIClient().get(_url())

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_valid_token_without_rights_is_refused_but_not_401() -> None:
    # Authenticated but not allowed: refused (a connection one is not a member of is not even
    # shown), never "who are you".
    user = User.objects.create_user("nobody", password="pw-123456789")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    assert client.get(_url()).status_code in (403, 404)
