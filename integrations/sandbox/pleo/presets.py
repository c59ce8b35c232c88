"""Seed data of the Pleo sandbox.

Preset `demo`: the company the demo runs on (`demo-company`, Nordlys Demo AS, Norway, NOK, with a
NOK and an EUR wallet) and a second, unconfigured company (`setup-company`, Fjord Start AS) for
walking through setup from the start. Pleo holds no synced master data yet: the integration
pushes the chart of accounts, tax codes, tags and vendors itself.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.sandbox.common import sandbox_reset_common
from integrations.sandbox.pleo.models import (
    AccessToken,
    AuthorizationCode,
    ChartAccount,
    Company,
    CsvImportJob,
    Employee,
    ExportJob,
    Grant,
    RefreshToken,
    SandboxSettings,
    StoredFile,
    Subscription,
    Tag,
    TagGroup,
    TaxCode,
    Vendor,
    WebhookDelivery,
)

# Pleo company ids are UUIDs (ExportJobV3.companyId has format uuid); fixed so a demo
# installation can be configured before the sandbox is seeded.
DEMO_COMPANY_ID = "5e0d1a2b-0000-4000-8000-00000000d001"
SETUP_COMPANY_ID = "5e0d1a2b-0000-4000-8000-00000000d002"
PRESETS = ("demo",)

_DEMO: list[dict[str, Any]] = [
    {
        "id": DEMO_COMPANY_ID,
        "slug": "demo-company",
        "name": "Nordlys Demo AS",
        "country": "NO",
        "currency": "NOK",
        "wallets": [
            {
                "currency": "NOK",
                "contraAccount": {
                    "id": "5e0d1a2b-0000-4000-8000-0000000c0001",
                    "name": "Pleo NOK Account",
                    "code": None,
                    "identifier": None,
                },
            },
            {
                "currency": "EUR",
                "contraAccount": {
                    "id": "5e0d1a2b-0000-4000-8000-0000000c0002",
                    "name": "Pleo EUR Account",
                    "code": None,
                    "identifier": None,
                },
            },
        ],
        "employees": [
            ("5e0d1a2b-0000-4000-8000-0000000e0001", "Ingrid Solberg", "E001", "ingrid@nordlys.example"),
            ("5e0d1a2b-0000-4000-8000-0000000e0002", "Lars Haugen", "E002", "lars@nordlys.example"),
            ("5e0d1a2b-0000-4000-8000-0000000e0003", "Maja Berg", "E003", "maja@nordlys.example"),
        ],
    },
    {
        "id": SETUP_COMPANY_ID,
        "slug": "setup-company",
        "name": "Fjord Start AS",
        "country": "NO",
        "currency": "NOK",
        "wallets": [
            {
                "currency": "NOK",
                "contraAccount": {
                    "id": "5e0d1a2b-0000-4000-8000-0000000c0011",
                    "name": "Pleo NOK Account",
                    "code": None,
                    "identifier": None,
                },
            }
        ],
        "employees": [
            ("5e0d1a2b-0000-4000-8000-0000000e0011", "Ola Nordmann", "E101", "ola@fjordstart.example"),
        ],
    },
]  # fmt: skip


def pleo_reset() -> None:
    """Forget everything the Pleo sandbox holds, including recorded requests and faults."""
    with transaction.atomic():
        WebhookDelivery.objects.all().delete()
        Subscription.objects.all().delete()
        ExportJob.objects.all().delete()
        StoredFile.objects.all().delete()
        Tag.objects.all().delete()
        TagGroup.objects.all().delete()
        ChartAccount.objects.all().delete()
        TaxCode.objects.all().delete()
        Vendor.objects.all().delete()
        CsvImportJob.objects.all().delete()
        AccessToken.objects.all().delete()
        RefreshToken.objects.all().delete()
        AuthorizationCode.objects.all().delete()
        Grant.objects.all().delete()
        Employee.objects.all().delete()
        Company.objects.all().delete()
        SandboxSettings.objects.all().delete()
    sandbox_reset_common("pleo")


def pleo_seed(preset: str, *, keep_existing: bool = False) -> None:
    """Load a preset; without `keep_existing` the sandbox is reset first."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown Pleo sandbox preset {preset!r}; known: {', '.join(PRESETS)}.")
    if not keep_existing:
        pleo_reset()
    with transaction.atomic():
        for spec in _DEMO:
            company, _ = Company.objects.update_or_create(
                id=spec["id"],
                defaults={
                    "slug": spec["slug"],
                    "name": spec["name"],
                    "country": spec["country"],
                    "currency": spec["currency"],
                    "wallets": spec["wallets"],
                },
            )
            for employee_id, name, code, email in spec["employees"]:
                Employee.objects.update_or_create(
                    id=employee_id,
                    defaults={"company": company, "name": name, "code": code, "email": email},
                )
    SandboxSettings.current()


def company_resolve(value: Any) -> Company:
    """A company by UUID or slug; the demo company when `value` is empty."""
    key = str(value or "demo-company")
    company = Company.objects.filter(slug=key).first()
    if company is None:
        try:
            company = Company.objects.filter(pk=uuid.UUID(key)).first()
        except ValueError:
            company = None
    if company is None:
        raise LookupError(f"No Pleo sandbox company {key!r}: seed the sandbox first.")
    return company


def pleo_seed_records(*, company: Company, data: dict[str, Any]) -> dict[str, int]:
    """Explicit records for a company, as if already synced: `chartOfAccounts`, `taxCodes`,
    `tagGroups` (each with `tags`), `vendors`, in the official create shapes."""
    counts = {"chartOfAccounts": 0, "taxCodes": 0, "tagGroups": 0, "tags": 0, "vendors": 0}
    now = timezone.now()
    with transaction.atomic():
        for row in data.get("chartOfAccounts") or []:
            ChartAccount.objects.create(
                company=company,
                external_id=row["externalId"],
                name=row.get("name", ""),
                code=row.get("code"),
                archived=bool(row.get("archived", False)),
                metadata=row.get("metadata"),
                tax_code_external_id=row.get("taxCodeExternalId"),
                in_use=bool(row.get("inUse", False)),
            )
            counts["chartOfAccounts"] += 1
        for row in data.get("taxCodes") or []:
            TaxCode.objects.create(
                company=company,
                name=row["name"],
                code=row.get("code"),
                rate=Decimal(str(row.get("rate", 0))),
                type=row.get("type", TaxCode.Type.INCLUSIVE),
                archived=bool(row.get("archived", False)),
                ingoing_tax_account=row.get("ingoingTaxAccount"),
                outgoing_tax_account=row.get("outgoingTaxAccount"),
            )
            counts["taxCodes"] += 1
        for row in data.get("tagGroups") or []:
            group = TagGroup.objects.create(
                company=company,
                code=row["code"],
                name=row.get("name", row["code"]),
                archived=bool(row.get("archived", False)),
                metadata=row.get("metadata") or {},
            )
            counts["tagGroups"] += 1
            for tag in row.get("tags") or []:
                Tag.objects.create(
                    group=group,
                    code=tag["code"],
                    name=tag.get("name"),
                    archived=bool(tag.get("archived", False)),
                )
                counts["tags"] += 1
        vendors: list[Vendor] = []
        for row in data.get("vendors") or []:
            vendor = Vendor(
                company=company,
                name=row["name"],
                default_currency=row.get("defaultCurrency", company.currency),
                code=row.get("code"),
                external_id=row.get("externalId"),
                country=row.get("country"),
                registration_number=row.get("registrationNumber"),
                tax_registration_number=row.get("taxRegistrationNumber"),
                state=row.get("state")
                or (Vendor.State.ACTIVE if row.get("externalId") else Vendor.State.DRAFT),
            )
            vendor.created_at = vendor.updated_at = now
            vendors.append(vendor)
        # In bulk: a large company's 20,000 suppliers seed in seconds.
        Vendor.objects.bulk_create(vendors, batch_size=1000)
        counts["vendors"] = len(vendors)
    return counts
