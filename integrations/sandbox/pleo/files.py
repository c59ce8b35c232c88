"""Receipts the sandbox keeps, served behind expiring HMAC-signed links (like Pleo's
pre-signed file URLs, valid 24 hours from the fetch by default)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from integrations.sandbox.common import sandbox_endpoint
from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.models import SandboxSettings, StoredFile


def _signature(file_id: str, expires: int, issued: int) -> str:
    key = f"{settings.SECRET_KEY}:sandbox-pleo-files".encode()
    return hmac.new(key, f"{file_id}:{expires}:{issued}".encode(), hashlib.sha256).hexdigest()


def file_link(request: HttpRequest, file_id: str | UUID, *, ttl: int | None = None) -> str:
    """An absolute, signed address of a stored file, valid `ttl` seconds from now."""
    seconds = ttl if ttl is not None else _link_lifetime(request)
    now = clock.now()
    expires = int(now.timestamp()) + seconds
    # Milliseconds, so a link handed out right after `file_links_expire` is not caught by it.
    issued = int(now.timestamp() * 1000)
    path = reverse("sandbox-pleo-file", kwargs={"file_id": str(file_id)})
    signature = _signature(str(file_id), expires, issued)
    query = f"?expires={expires}&issued={issued}&signature={signature}"
    return request.build_absolute_uri(path) + query


def _link_lifetime(request: HttpRequest) -> int:
    # Read once per request: a page of items signs one link per receipt.
    cached = getattr(request, "_sandbox_pleo_link_lifetime", None)
    if cached is None:
        cached = SandboxSettings.current().file_link_expiry_seconds
        setattr(request, "_sandbox_pleo_link_lifetime", cached)  # noqa: B010
    return int(cached)


def file_links_expire() -> datetime:
    """Every link handed out until now stops working (403), as when Pleo's pre-signed links
    run out while an export is still downloading; items fetched again carry fresh links."""
    row = SandboxSettings.current()
    row.file_links_revoked_at = clock.now()
    row.save(update_fields=["file_links_revoked_at"])
    return row.file_links_revoked_at


def _forbidden(message: str) -> HttpResponse:
    # Object stores answer an expired or tampered pre-signed URL with 403.
    return HttpResponse(message, status=403, content_type="text/plain")


@sandbox_endpoint("pleo")
def file_download(request: HttpRequest, file_id: str) -> HttpResponse:
    """`GET files/{id}?expires=…&issued=…&signature=…`: no bearer token, the link is the
    credential."""
    expires_raw = request.GET.get("expires", "")
    issued_raw = request.GET.get("issued", "")
    given = request.GET.get("signature", "")
    if not expires_raw.isdigit() or not issued_raw.isdigit() or not given:
        return _forbidden("Missing or malformed signature.")
    expires, issued = int(expires_raw), int(issued_raw)
    if not hmac.compare_digest(given, _signature(file_id, expires, issued)):
        return _forbidden("Signature does not match.")
    revoked_at = SandboxSettings.current().file_links_revoked_at
    if clock.now().timestamp() > expires or (
        revoked_at is not None and issued <= int(revoked_at.timestamp() * 1000)
    ):
        return _forbidden("Request has expired.")
    try:
        stored = StoredFile.objects.get(pk=UUID(file_id))
    except (ValueError, StoredFile.DoesNotExist):
        return HttpResponse("No such file.", status=404, content_type="text/plain")
    response = HttpResponse(bytes(stored.content), content_type=stored.content_type)
    response["Content-Disposition"] = f'inline; filename="{stored.name}"'
    return response


def file_store(*, name: str, content_type: str, content: bytes) -> dict[str, Any]:
    """Keep the bytes; returns the file entry stored in the item payload."""
    stored = StoredFile.objects.create(
        name=name, content_type=content_type, content=content, size=len(content)
    )
    return {"fileId": str(stored.id), "name": name, "type": content_type, "size": len(content)}
