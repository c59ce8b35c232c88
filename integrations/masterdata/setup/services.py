"""Writes of the setup: account mapping, tag (segment) settings and category mappings. Each validates every value against the Visma.net mirror first and saves all or nothing,
recording the acting user and a change reason in the history. Pages and the JSON API both call
these, so they refuse the same values with the same reasons.

Errors come out as `django.core.exceptions.ValidationError` with a dict of field → messages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction

from integrations.connections.models import AccountMapping, Connection
from integrations.masterdata.models import CategoryMapping, SegmentSetting, VismaSegment
from integrations.masterdata.setup import validation as v
from integrations.masterdata.setup.pleo_push import category_mappings_push_to_pleo
from integrations.masterdata.setup.validation import (
    AccountMappingInput,
    CategoryMappingInput,
    SegmentSettingInput,
    account_mapping_validate,
    category_mappings_validate,
    segment_settings_validate,
)

logger = logging.getLogger(__name__)


def _save_audited(
    obj: models.Model, *, user: AbstractBaseUser | None, reason: str, fields: Mapping[str, Any]
) -> bool:
    """Set `fields` on `obj` and save it with the acting user and reason in its history.

    Returns whether anything changed; an unchanged row is not saved, so the history only shows
    real changes.
    """
    changed = obj._state.adding or any(getattr(obj, k) != val for k, val in fields.items())
    if not changed:
        return False
    for key, value in fields.items():
        setattr(obj, key, value)
    # django-simple-history reads these when it writes the history row; explicit values matter
    # for the API, where token-authenticated users are unknown to the request middleware.
    obj._history_user = user  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save()
    return True


def _raise_if(errors: Mapping[str, list[str]]) -> None:
    found = {k: msgs for k, msgs in errors.items() if msgs}
    if found:
        raise ValidationError(found)


# -- account mapping -----------------------------------------------------------------------


def account_mapping_update(
    *,
    connection: Connection,
    data: AccountMappingInput,
    user: AbstractBaseUser | None,
    reason: str = "Changed on the Accounts page",
) -> AccountMapping:
    _raise_if(account_mapping_validate(connection=connection, data=data))
    with transaction.atomic():
        mapping, _ = AccountMapping.objects.select_for_update().get_or_create(connection=connection)
        _save_audited(
            mapping,
            user=user,
            reason=reason,
            fields={
                "wallet_accounts": {
                    k: data.wallet_accounts[k] for k in sorted(data.wallet_accounts)
                },
                "tax_account": data.tax_account,
                "out_of_pocket_account": data.out_of_pocket_account,
                "output_vat_account": data.output_vat_account,
                "default_vendor_number": data.default_vendor_number,
            },
        )
    return mapping


# -- segment (tag) settings ------------------------------------------------------------------


@dataclass
class SegmentSettingsResult:
    settings: list[SegmentSetting]
    changed: bool
    sync_run_id: int | None = None
    sync_error: str = ""


def segment_settings_update(
    *,
    connection: Connection,
    items: Sequence[SegmentSettingInput],
    user: AbstractBaseUser | None,
    reason: str = "Changed on the Tags page",
    start_sync: bool = True,
) -> SegmentSettingsResult:
    """Save the segments given (others stay as they are); then queue a tags sync so Pleo's tag
    groups follow the choice."""
    _raise_if(segment_settings_validate(connection=connection, items=items))
    changed = False
    saved: list[SegmentSetting] = []
    with transaction.atomic():
        for item in items:
            segment = VismaSegment.objects.get(
                connection=connection,
                dimension_id=v.SUBACCOUNT_DIMENSION,
                segment_id=item.segment_id,
            )
            setting = (
                SegmentSetting.objects.select_for_update()
                .filter(connection=connection, segment=segment)
                .first()
            ) or SegmentSetting(connection=connection, segment=segment)
            changed |= _save_audited(
                setting,
                user=user,
                reason=reason,
                fields={"synced": item.synced, "default_value": item.default_value},
            )
            saved.append(setting)
    result = SegmentSettingsResult(settings=saved, changed=changed)
    if changed and start_sync:
        result.sync_run_id, result.sync_error = _start_sync(
            connection=connection, kinds=("tags",), user=user
        )
    return result


def _start_sync(
    *, connection: Connection, kinds: Sequence[str], user: AbstractBaseUser | None
) -> tuple[int | None, str]:
    """Queue a sync through the sync service; a failure to queue is reported, never raised,
    because the settings are already saved."""
    from integrations.masterdata.setup.sync_bridge import sync_queue

    try:
        run_id = sync_queue(connection=connection, kinds=kinds, full=False, user=user)
    except Exception as exc:  # reported on the page; the saved settings stay
        logger.exception("Queueing a %s sync for connection %s failed", kinds, connection.pk)
        return None, str(exc)
    return run_id, ""


# -- category mappings -----------------------------------------------------------------------


@dataclass
class CategoryMappingsResult:
    saved: list[CategoryMapping]
    removed: list[str]
    changed_ids: list[str]
    # Pleo account id -> why writing the tax code to Pleo failed (the local mapping is saved).
    pleo_errors: dict[str, str] = field(default_factory=dict)
    pleo_updated: list[str] = field(default_factory=list)


def category_mappings_update(
    *,
    connection: Connection,
    items: Sequence[CategoryMappingInput],
    user: AbstractBaseUser | None,
    reason: str = "Changed on the Categories page",
    push_to_pleo: bool = True,
) -> CategoryMappingsResult:
    """Save the mappings given (a blank account removes one; categories not given stay), then
    write each changed category's default tax code to Pleo's chart of accounts.

    Pleo is written only after the local transaction has committed, so a Pleo failure never
    loses the local change; the failures come back in `pleo_errors`.
    """
    _raise_if(category_mappings_validate(connection=connection, items=items))
    result = CategoryMappingsResult(saved=[], removed=[], changed_ids=[])
    with transaction.atomic():
        existing = {
            m.pleo_account_id: m
            for m in CategoryMapping.objects.select_for_update().filter(
                connection=connection,
                pleo_account_id__in=[i.pleo_account_id for i in items],
            )
        }
        for item in items:
            mapping = existing.get(item.pleo_account_id)
            if not item.visma_account_number:
                if mapping is not None:
                    mapping._history_user = user  # type: ignore[attr-defined]
                    mapping._change_reason = reason  # type: ignore[attr-defined]
                    mapping.delete()
                    result.removed.append(item.pleo_account_id)
                    result.changed_ids.append(item.pleo_account_id)
                continue
            if mapping is None:
                mapping = CategoryMapping(
                    connection=connection, pleo_account_id=item.pleo_account_id
                )
            fields: dict[str, Any] = {
                "visma_account_number": item.visma_account_number,
                "default_vat_category": item.default_vat_category,
            }
            # Names are informational copies of Pleo's; keep the last known ones when omitted.
            if item.pleo_account_name:
                fields["pleo_account_name"] = item.pleo_account_name
            if item.pleo_account_code:
                fields["pleo_account_code"] = item.pleo_account_code
            if _save_audited(mapping, user=user, reason=reason, fields=fields):
                result.changed_ids.append(item.pleo_account_id)
            result.saved.append(mapping)
    if push_to_pleo and result.changed_ids:
        push = category_mappings_push_to_pleo(
            connection=connection, pleo_account_ids=result.changed_ids
        )
        result.pleo_errors = push.errors
        result.pleo_updated = push.updated
    return result
