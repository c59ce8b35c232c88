"""Attachments on journal transactions (or their lines) and supplier invoices.
Reference: ../shared/specs/visma-net/openapi-subset.json, paths */attachment, /v1/attachment/{id}"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from integrations.sandbox.common import bytes_write, row_insert_with_bytes, rows_compiled_once
from integrations.sandbox.visma.api import (
    VismaError,
    created,
    json_answer,
    not_found,
    visma_api,
)
from integrations.sandbox.visma.dto import attachment_dto
from integrations.sandbox.visma.invoices import invoice_get
from integrations.sandbox.visma.journals import journal_get
from integrations.sandbox.visma.models import (
    Attachment,
    Company,
    JournalTransaction,
    SupplierInvoice,
)


def _same_name(
    company_id: int, journal_id: int | None, invoice_id: int | None, line: int | None, name: str
) -> QuerySet[Attachment]:
    """The attachment of that name on that document (or line)."""
    return Attachment.objects.filter(
        company_id=company_id,
        journal_id=journal_id,
        invoice_id=invoice_id,
        line_number=line,
        name=name,
    ).order_by("pk")[:1]


def _same_name_locked(
    company_id: int, journal_id: int | None, invoice_id: int | None, line: int | None, name: str
) -> QuerySet[Attachment]:
    """`_same_name`, locked for its new revision."""
    return _same_name(company_id, journal_id, invoice_id, line, name).select_for_update()


def _store(
    request: HttpRequest,
    company: Company,
    *,
    journal: JournalTransaction | None = None,
    invoice: SupplierInvoice | None = None,
    line_number: int | None = None,
) -> HttpResponse:
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise VismaError("Attachments are sent as multipart/form-data with one file.", status=415)
    files = [f for key in request.FILES for f in request.FILES.getlist(key)]
    if len(files) != 1:
        raise VismaError(f"Send exactly one file; got {len(files)}.")
    upload = files[0]
    content = upload.read()
    name = upload.name or "attachment"
    owner = journal or invoice
    named = (
        company.pk,
        journal.pk if journal is not None else None,
        invoice.pk if invoice is not None else None,
        line_number,
        name,
    )

    def add() -> HttpResponse:
        row = Attachment(
            company=company,
            name=name,
            content_type=upload.content_type or "",
            journal=journal,
            invoice=invoice,
            line_number=line_number,
        )
        row_insert_with_bytes(row, "content", content, modified=owner)
        return created(request, f"/v1/attachment/{row.attachment_id}")

    # The same file name on the same document (or line) is a new revision, not a new file.
    if not rows_compiled_once("visma-attachment-named", _same_name, *named):
        # A new file (nearly every upload): its insert with the bytes, then the document's
        # change time, without a transaction around them (two round trips fewer). Two uploads
        # of one new name at once both insert, as they would under a lock on no row.
        return add()
    with transaction.atomic():
        found = rows_compiled_once("visma-attachment-named-locked", _same_name_locked, *named)
        if not found:
            return add()
        row = found[0]
        row.revision += 1
        row.content_type = upload.content_type or ""
        row.updated_at = timezone.now()
        row.save(update_fields=["revision", "content_type", "updated_at"])
        bytes_write(row, "content", content)
        if owner is not None:
            _touch(owner)
    return created(request, f"/v1/attachment/{row.attachment_id}")


def _touch(owner: JournalTransaction | SupplierInvoice) -> None:
    """An attachment changes its document: its `lastModifiedDateTime` moves on."""
    owner.last_modified = timezone.now()
    owner.save(update_fields=["last_modified"])


def _journal(company: Company, module: str, number: str) -> JournalTransaction:
    if module != "GL":
        raise VismaError(f"Module '{module}' is not supported here: journal transactions are GL.")
    return journal_get(company, number)


@visma_api("POST", action=True)
def journal_attach(
    request: HttpRequest, company: Company, module: str, number: str
) -> HttpResponse:
    return _store(request, company, journal=_journal(company, module, number))


@visma_api("POST", action=True)
def journal_line_attach(
    request: HttpRequest, company: Company, module: str, number: str, line_number: int
) -> HttpResponse:
    journal = _journal(company, module, number)
    if not journal.lines.filter(line_number=line_number).exists():
        raise not_found(f"Line {line_number} of journal transaction '{number}'")
    return _store(request, company, journal=journal, line_number=line_number)


@visma_api("POST", action=True)
def invoice_attach(
    request: HttpRequest, company: Company, document_type: str, number: str
) -> HttpResponse:
    return _store(request, company, invoice=invoice_get(company, document_type, number))


@visma_api("GET")
def attachment(request: HttpRequest, company: Company, attachment_id: str) -> HttpResponse:
    try:
        key = uuid.UUID(attachment_id)
    except ValueError:
        raise not_found(f"Attachment '{attachment_id}'") from None
    row = Attachment.objects.filter(company=company, attachment_id=key).first()
    if row is None:
        raise not_found(f"Attachment '{attachment_id}'")
    return json_answer(attachment_dto(row))
