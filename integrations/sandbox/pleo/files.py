"""Receipts the sandbox keeps, served behind expiring HMAC-signed links (like Pleo's
pre-signed file URLs, valid 24 hours from the fetch by default)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from integrations.sandbox.common import columns_read, rows_compiled_once, sandbox_endpoint
from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.models import SandboxSettings, StoredFile


def _signature(file_id: str, expires: int, generation: int) -> str:
    key = f"{settings.SECRET_KEY}:sandbox-pleo-files".encode()
    return hmac.new(key, f"{file_id}:{expires}:{generation}".encode(), hashlib.sha256).hexdigest()


def file_link(request: HttpRequest, file_id: str | UUID, *, ttl: int | None = None) -> str:
    """An absolute, signed address of a stored file, valid `ttl` seconds from now."""
    row = _settings(request)
    seconds = ttl if ttl is not None else row.file_link_expiry_seconds
    expires = int(clock.now().timestamp()) + seconds
    generation = row.file_links_generation
    path = reverse("sandbox-pleo-file", kwargs={"file_id": str(file_id)})
    signature = _signature(str(file_id), expires, generation)
    query = f"?expires={expires}&gen={generation}&signature={signature}"
    return request.build_absolute_uri(path) + query


def _settings_row() -> QuerySet[SandboxSettings]:
    return SandboxSettings.objects.filter(pk=1)


def _settings(request: HttpRequest) -> SandboxSettings:
    # Read once per request (a page of items signs one link per receipt), by SQL built once:
    # every receipt download reads it.
    cached = getattr(request, "_sandbox_pleo_settings", None)
    if not isinstance(cached, SandboxSettings):
        found = rows_compiled_once("pleo-sandbox-settings", _settings_row)
        cached = found[0] if found else SandboxSettings.current()
        setattr(request, "_sandbox_pleo_settings", cached)  # noqa: B010
    return cached


def file_links_expire() -> int:
    """Every link handed out until now stops working (403), as when Pleo's pre-signed links
    run out while an export is still downloading; items fetched again carry fresh links.
    Returns the new link generation."""
    SandboxSettings.current()
    SandboxSettings.objects.filter(pk=1).update(
        file_links_generation=F("file_links_generation") + 1
    )
    return SandboxSettings.current().file_links_generation


def _forbidden(message: str) -> HttpResponse:
    # Object stores answer an expired or tampered pre-signed URL with 403.
    return HttpResponse(message, status=403, content_type="text/plain")


@sandbox_endpoint("pleo")
def file_download(request: HttpRequest, file_id: str) -> HttpResponse:
    """`GET files/{id}?expires=…&gen=…&signature=…`: no bearer token, the link is the
    credential."""
    expires_raw = request.GET.get("expires", "")
    generation_raw = request.GET.get("gen", "")
    given = request.GET.get("signature", "")
    if not expires_raw.isdigit() or not generation_raw.isdigit() or not given:
        return _forbidden("Missing or malformed signature.")
    expires, generation = int(expires_raw), int(generation_raw)
    if not hmac.compare_digest(given, _signature(file_id, expires, generation)):
        return _forbidden("Signature does not match.")
    current = _settings(request).file_links_generation
    if clock.now().timestamp() > expires or generation < current:
        return _forbidden("Request has expired.")
    try:
        stored = columns_read(StoredFile, UUID(file_id), ("content", "content_type", "name"))
    except ValueError:
        stored = None
    if stored is None:
        return HttpResponse("No such file.", status=404, content_type="text/plain")
    content, content_type, name = stored
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def file_store(*, name: str, content_type: str, content: bytes) -> dict[str, Any]:
    """Keep the bytes; returns the file entry stored in the item payload."""
    stored = StoredFile.objects.create(
        name=name, content_type=content_type, content=content, size=len(content)
    )
    return file_entry(stored)


def file_entry(stored: StoredFile) -> dict[str, Any]:
    return {
        "fileId": str(stored.id),
        "name": stored.name,
        "type": stored.content_type,
        "size": stored.size,
    }
