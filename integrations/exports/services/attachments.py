"""Receipts: download each file of an item from Pleo and upload it to its Visma.net document.

Every file has an `AttachmentUpload` row (unique per item and file); an uploaded file is never
sent again. Pleo's links are signed and expire: on 403/404 the item is fetched again once for
fresh links. The file name is deterministic (the item's reference and the file's position), and
Visma.net stores a file sent again under the same name as a new revision of the same
attachment. What two sends of one file that arrive together make is not documented, so an
upload whose outcome is unknown (a timeout, a lost answer, a worker stopped mid-upload) is
looked up by its name on the document before it is sent again, and when it is not there yet
the run looks again later (`UNKNOWN_RECHECK_SECONDS`), as for a create.

A receipt that cannot be moved fails only that part: the document stays booked. Pleo keeps one
status per item, and we report such an item as **failed** with the `receipt_*` reason, the
Visma.net number in the message and as `externalId`. Reporting it successful would hide the
missing receipt from finance staff; failing it puts the expense back in Pleo's export queue, and
exporting it again only uploads the missing files, because the item row remembers its document
(see `export_item_upsert`), so the document is never booked twice.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
from dataclasses import dataclass
from urllib.parse import urlsplit

from integrations.core import errors
from integrations.core.receipts import Receipt
from integrations.exports.models import AttachmentUpload, ExportItem
from integrations.exports.services.context import (
    MAX_SEND_ATTEMPTS,
    UNKNOWN_RECHECK_SECONDS,
    RunContext,
    RunDeferred,
)
from integrations.exports.services.remote import remote_deferral
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import ExportFile
from integrations.pleo.types import ExportItem as PleoItem


@dataclass(frozen=True)
class ReceiptFailure:
    reason_type: FailureReason  # one of the receipt_* reasons
    message: str


@dataclass(frozen=True)
class Transfer:
    """What moving an item's receipts came to: the first failure, if any, and whether the
    last thing done was a write that checked the claim (an upload's end), nothing sent since."""

    failure: ReceiptFailure | None = None
    claim_checked: bool = False


def file_key(url: str) -> str:
    """The same file under a fresh signed link has the same key: the signature is in the query."""
    parts = urlsplit(url)
    return hashlib.sha256(f"{parts.netloc}{parts.path}".encode()).hexdigest()


def _filename(item: ExportItem, index: int, url: str, content_type: str) -> str:
    ext = posixpath.splitext(urlsplit(url).path)[1].lower()
    if not ext or len(ext) > 6:
        ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    return f"{item.reference or 'receipt'}-{index}{ext}"


def _label(item: ExportItem) -> str:
    if item.visma_document_type == ExportItem.DocumentType.JOURNAL:
        return f"journal transaction {item.visma_number}"
    return f"supplier {item.visma_document_type.lower()} {item.visma_number}"


def item_attachments_transfer(ctx: RunContext, item: ExportItem) -> Transfer:
    """Move every receipt of a booked item; the first failure (if any) is returned.

    The item's upload rows were inserted (pending) when its run fetched it
    (`export_items_store`); one is created here only for an item stored before, or a file
    that was not in the item then. Each upload then takes two writes: its start (`uploading`,
    with the claim check) and its end (`uploaded`, with the claim check too)."""
    if not ctx.export_settings.transfer_attachments:
        return Transfer()
    checked = False
    files = list(PleoItem.from_api(item.payload).files)
    first_failure: ReceiptFailure | None = None
    refreshed = False
    # The item's upload rows, read with the run's items (prefetched) rather than one by one.
    known = {upload.file_key: upload for upload in item.uploads.all()}
    for index, file in enumerate(files, start=1):
        key = file_key(file.url)
        upload = known.get(key) or AttachmentUpload.objects.create(
            item=item, file_key=key, size=file.size, content_type=file.type or ""
        )
        if upload.status == AttachmentUpload.Status.UPLOADED:
            continue
        checked = False
        if upload.status == AttachmentUpload.Status.UPLOADING and upload.filename:
            # Sent before without a known outcome (a lost answer, a worker stopped mid-upload):
            # the file may be on the document already.
            found = _sent_before(ctx, item, upload)
            if found:
                _adopt(ctx, upload, found)
                checked = True
                continue
        receipt: Receipt | None = None
        try:
            receipt = ctx.pleo.file_download(file.url)
        except (errors.Forbidden, errors.NotFound):
            if not refreshed:
                refreshed = True
                fresh = _fresh_file(ctx, item, upload.file_key, index)
                if fresh is not None:
                    try:
                        receipt = ctx.pleo.file_download(fresh.url)
                    except errors.ApiError as exc:
                        failure = _download_failed(item, upload, index, exc)
                        first_failure = first_failure or failure
                        continue
            if receipt is None:
                failure = _record(
                    upload,
                    FailureReason.RECEIPT_DOWNLOAD_FAILURE,
                    f"Receipt {index} could not be downloaded from Pleo: the link has expired "
                    "and no fresh link was given",
                    item,
                )
                first_failure = first_failure or failure
                continue
        except errors.RateLimited as exc:
            raise remote_deferral(exc) from exc
        except errors.ApiError as exc:
            failure = _download_failed(item, upload, index, exc)
            first_failure = first_failure or failure
            continue
        with receipt:
            upload_failure = _upload(ctx, item, upload, index, file.url, receipt)
        first_failure = first_failure or upload_failure
        checked = upload_failure is None
    return Transfer(first_failure, claim_checked=checked and first_failure is None)


def _fresh_file(ctx: RunContext, item: ExportItem, key: str, index: int) -> ExportFile | None:
    """Fetch the item again through its job for new signed links; keeps the new payload."""
    # Reference: GET /v3/export-items?job_id=… (PleoClient.export_items_iter)
    for entry in ctx.pleo.export_items_iter(ctx.run.pleo_job_id):
        if entry.accounting_entry_id != item.accounting_entry_id or not isinstance(entry, PleoItem):
            continue
        item.payload = entry.raw
        item.save(update_fields=["payload", "updated_at"])
        for file in entry.files:
            if file_key(file.url) == key:
                return file
        return entry.files[index - 1] if len(entry.files) >= index else None
    return None


def _download_failed(
    item: ExportItem, upload: AttachmentUpload, index: int, exc: errors.ApiError
) -> ReceiptFailure:
    if exc.code == FailureReason.RECEIPT_FILE_SIZE_LIMIT_EXCEEDED:
        return _record(
            upload,
            FailureReason.RECEIPT_FILE_SIZE_LIMIT_EXCEEDED,
            f"Receipt {index} is too large to attach: {exc.message}",
            item,
        )
    return _record(
        upload,
        FailureReason.RECEIPT_DOWNLOAD_FAILURE,
        f"Receipt {index} could not be downloaded from Pleo: {exc.message}",
        item,
    )


def _record(
    upload: AttachmentUpload, reason_type: FailureReason, error: str, item: ExportItem
) -> ReceiptFailure:
    upload.status = AttachmentUpload.Status.FAILED
    upload.failure_reason_type = reason_type
    upload.error = error[:5000]
    upload.save(update_fields=["status", "failure_reason_type", "error", "updated_at"])
    return ReceiptFailure(
        reason_type,
        f"Booked in Visma.net as {_label(item)}, but {error[0].lower()}{error[1:]}. Export the "
        "expense again from Pleo to attach it: the document will not be booked twice.",
    )


def _upload(
    ctx: RunContext,
    item: ExportItem,
    upload: AttachmentUpload,
    index: int,
    url: str,
    receipt: Receipt,
) -> ReceiptFailure | None:
    content_type = receipt.content_type
    filename = _filename(item, index, url, content_type)
    # A receipt of an item in a shared journal goes to the item's first line.
    line_number = item.line_number if item.document_id else None
    # The claim check and the step `uploading` in one statement.
    ctx.guard(
        upload,
        status=AttachmentUpload.Status.UPLOADING,
        filename=filename,
        size=receipt.size,
        content_type=content_type,
        line_number=line_number,
        attempts=upload.attempts + 1,
    )
    try:
        if item.visma_document_type == ExportItem.DocumentType.JOURNAL:
            # Reference: POST /v2/journaltransaction/module/GL/{number}[/{lineNumber}]/attachment
            attachment_id = ctx.visma.journal_transaction_attach(
                item.visma_number,
                filename=filename,
                content=receipt,
                content_type=content_type,
                line_number=line_number,
            )
        else:
            # Reference: POST /v1/supplierInvoice/documentType/{documentType}/{number}/attachment
            attachment_id = ctx.visma.supplier_invoice_attach(
                item.visma_document_type,
                item.visma_number,
                filename=filename,
                content=receipt,
                content_type=content_type,
            )
    except (errors.Unauthorized, errors.Forbidden):
        raise
    except errors.RateLimited as exc:
        upload.status = AttachmentUpload.Status.PENDING
        upload.save(update_fields=["status", "updated_at"])
        raise remote_deferral(exc) from exc
    except errors.ApiError as exc:
        if exc.outcome_unknown:
            # The file may have arrived (or still be arriving): look for it on the document;
            # when it is not there yet, the run goes on later and looks again before sending
            # it again (the upload stays `uploading`), as for a create whose outcome is unknown.
            found = _sent_before(ctx, item, upload)
            if found:
                _adopt(ctx, upload, found)
                return None
            if upload.attempts < MAX_SEND_ATTEMPTS:
                raise RunDeferred(
                    UNKNOWN_RECHECK_SECONDS, f"Outcome of the upload of {filename} unknown"
                ) from exc
        return _record(
            upload,
            FailureReason.RECEIPT_UPLOAD_FAILURE,
            f"Receipt {index} ({filename}) could not be uploaded to Visma.net: {exc.message}",
            item,
        )
    _adopt(ctx, upload, attachment_id)
    return None


def _adopt(ctx: RunContext, upload: AttachmentUpload, attachment_id: str) -> None:
    """The end of the upload, written with the claim check (`guard`): a release that follows at
    once needs no check of its own (see `export_item_complete`)."""
    ctx.guard(
        upload,
        status=AttachmentUpload.Status.UPLOADED,
        visma_attachment_id=attachment_id,
        error="",
        failure_reason_type="",
    )


def _sent_before(ctx: RunContext, item: ExportItem, upload: AttachmentUpload) -> str:
    """The id of the attachment named as `upload`'s file on its document (or the document's
    line), "" when there is none. When Visma.net does not answer the look-up (or answers what
    cannot be read), "" too: the file is sent again, which its name makes a revision of the
    same attachment when the first send did arrive."""
    try:
        if item.visma_document_type == ExportItem.DocumentType.JOURNAL:
            # Reference: GET /v2/journaltransaction/{journalTransactionNumber}
            journal = ctx.visma.journal_transaction_get(item.visma_number)
            if upload.line_number is None:
                attached = journal.attachments
            else:
                lines = [line for line in journal.lines if line.line_number == upload.line_number]
                attached = lines[0].attachments if lines else ()
        else:
            # Reference: GET /v1/supplierInvoice/{documentType}/{invoiceNumber}
            attached = ctx.visma.supplier_invoice_get(
                item.visma_document_type, item.visma_number
            ).attachments
    except errors.RateLimited as exc:
        raise remote_deferral(exc) from exc
    except (errors.TransientError, errors.NotFound, errors.UnexpectedAnswer):
        return ""
    return next((a.id for a in attached if a.name == upload.filename), "")
