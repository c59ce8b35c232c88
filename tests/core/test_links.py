"""Links built from remote data are rendered only when they are https."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from integrations.core.links import https_url
from integrations.exports.models import ExportItem
from tests.exports import ui_factories as f

SAFE = "https://app.pleo.io/export/items/5954a1c2"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (SAFE, SAFE),
        ("HTTPS://api.finance.visma.net/v2/journaltransaction/000123", True),
        ("http://app.pleo.io/export", ""),
        ("javascript:alert(document.cookie)", ""),
        (" javascript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("//evil.example/x", ""),
        ("https:///no-host", ""),
        ("https://evil.example\\@app.pleo.io/", ""),
        ("https://app.pleo.io/\nSet-Cookie: x", ""),
        ("", ""),
        (None, ""),
        (42, ""),
    ],
)
def test_only_absolute_https_urls_pass(value: object, shown: object) -> None:
    result = https_url(value)
    if shown is True:
        assert result == value
    else:
        assert result == shown


def test_the_template_filter_drops_other_links() -> None:
    template = Template(
        '{% load links %}{% with u=url|https_only %}{% if u %}<a href="{{ u }}">x</a>'
        "{% else %}—{% endif %}{% endwith %}"
    )
    assert template.render(Context({"url": SAFE})) == f'<a href="{SAFE}">x</a>'
    assert template.render(Context({"url": "javascript:alert(1)"})) == "—"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pleo_link", "visma_url", "expected"),
    [
        (SAFE, "https://api.finance.visma.net/v2/journaltransaction/000123", 2),
        ("javascript:alert(1)", "http://127.0.0.1:8000/sandbox/visma/v2/journaltransaction/1", 0),
    ],
)
def test_the_admin_item_page_links_remote_addresses_only_over_https(
    pleo_link: str, visma_url: str, expected: int
) -> None:
    run = f.run_make(f.connection_make(), items_total=1, items_done=1)
    item = f.item_make(run, "5954a1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b", visma_number="000123")
    payload = dict(item.payload)
    payload["_links"] = {"web": {"exportItem": pleo_link}}
    ExportItem.objects.filter(pk=item.pk).update(payload=payload, visma_url=visma_url)
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-123456789"))

    page = client.get(reverse("admin:exports_exportitem_change", args=[item.pk])).content.decode()

    links = page.count("Open in Pleo</a>") + page.count("in Visma.net</a>")
    assert links == expected
    assert "javascript:alert" not in page.split("Pleo and Visma.net")[-1].split("</div>")[0]
