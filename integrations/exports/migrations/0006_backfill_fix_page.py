"""Failed items stored before the fix page was data: derive it once from their reason and
message, the way the run page used to, so their fix links stay. New failures store it when they
fail; nothing reads a message after this migration."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _page(reason: str, message: str) -> str:
    text = message.lower()
    if reason in ("accounting_system_authentication_failure", "authorization_failure"):
        return "connection"
    if text.startswith("period ") or (" period " in text and ("closed" in text or "open" in text)):
        return "export_settings"
    if reason == "vendor_unknown":
        return "vendors"
    if reason == "tag_unknown":
        return "tags"
    if reason in ("account_unknown", "tax_code_unknown"):
        return "accounts" if "accounts page" in text else "categories"
    if reason in ("missing_configuration", "invalid_configuration"):
        if "categories page" in text:
            return "categories"
        if "tags page" in text or "segment" in text:
            return "tags"
        if "export settings" in text or "payment method" in text:
            return "export_settings"
        words = ("accounts page", "wallet", "out-of-pocket", "tax account", "output vat",
                 "default vendor")  # fmt: skip
        if any(word in text for word in words):
            return "accounts"
        return "overview"
    return ""


def backfill(apps: Any, schema_editor: Any) -> None:
    ExportItem = apps.get_model("exports", "ExportItem")
    failed = ExportItem.objects.filter(status="failed", fix_page="")
    for item in failed.only("id", "failure_reason_type", "failure_reason").iterator():
        page = _page(item.failure_reason_type or "", item.failure_reason or "")
        if page:
            ExportItem.objects.filter(id=item.id).update(fix_page=page)


class Migration(migrations.Migration):
    dependencies = [("exports", "0005_item_failure_fix_target")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
