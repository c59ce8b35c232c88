from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory, override_settings
from django.views.defaults import server_error


@pytest.mark.django_db
def test_api_docs_are_served_without_a_cdn(client: Client) -> None:
    from django.contrib.auth.models import User

    # For signed-in users only (the access matrix checks who may read it).
    client.force_login(User.objects.create_user("reader"))
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "swagger-ui-dist/swagger-ui-bundle.js" in html
    # The assets the page names are part of this install.
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_page_not_found_is_plain_even_in_development(client: Client) -> None:
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "This page does not exist" in html
    assert "URLconf" not in html  # Django's technical page lists every pattern


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_machine_paths_keep_their_own_not_found(client: Client) -> None:
    page = client.get("/api/no-such-endpoint/")
    assert page.status_code == 404
    assert "This page does not exist" not in page.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_page_not_found_in_production(client: Client) -> None:
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert "This page does not exist" in page.content.decode()


def test_server_error_page_is_plain() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "Traceback" not in html
