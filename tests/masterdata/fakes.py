"""In-memory stand-ins for the two clients, for service and page tests that need no HTTP.
(The end-to-end tests use the sandboxes over real HTTP instead.)"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import replace
from typing import Any

from integrations.pleo.types import Vendor
from integrations.pleo.vendor_import import CsvImportJob
from integrations.visma.types import Supplier, SupplierInput

_ids = itertools.count(1)


def supplier(number: str, name: str, **kw: Any) -> Supplier:
    values: dict[str, Any] = {
        "internal_id": None,
        "status": "Active",
        "active": True,
        "supplier_class_id": "STD",
        "payment_method_id": "BANK",
        "credit_terms_id": "30D",
        "vat_zone_id": None,
        "currency_id": "NOK",
        "cash_account": None,
        "vat_registration_id": None,
        "corporate_id": None,
        "address_line1": None,
        "postal_code": None,
        "city": None,
        "country_id": "NO",
        "last_modified": None,
    }
    values.update(kw)
    return Supplier(number=number, name=name, **values)


class FakeVisma:
    def __init__(self, suppliers: list[Supplier] | None = None) -> None:
        self.suppliers = {s.number: s for s in suppliers or []}
        self.created: list[SupplierInput] = []
        self.next_number = 70001

    def supplier_create(self, data: SupplierInput) -> str:
        number = str(self.next_number)
        self.next_number += 1
        self.created.append(data)
        self.suppliers[number] = supplier(
            number,
            data.name,
            supplier_class_id=data.supplier_class_id,
            payment_method_id=data.payment_method_id,
            cash_account=data.cash_account,
            currency_id=data.currency_id,
            vat_registration_id=data.vat_registration_id,
            corporate_id=data.corporate_id,
            country_id=data.country_id,
        )
        return number

    def supplier_get(self, number: str) -> Supplier:
        return self.suppliers[number]

    def suppliers_list(self, **filters: Any) -> list[Supplier]:
        found = list(self.suppliers.values())
        if filters.get("name"):
            found = [s for s in found if s.name == filters["name"]]
        if filters.get("vat_registration_id"):
            found = [s for s in found if s.vat_registration_id == filters["vat_registration_id"]]
        return found


class FakePleo:
    def __init__(self, vendors: list[Vendor] | None = None) -> None:
        self.vendors = {v.id: v for v in vendors or []}
        self.writes: list[tuple[str, str]] = []

    @staticmethod
    def draft(name: str, *, tax: str | None = None, currency: str = "NOK") -> Vendor:
        return Vendor(
            id=f"v-{next(_ids)}",
            company_id="c-1",
            name=name,
            state="DRAFT",
            code=None,
            external_id=None,
            default_currency=currency,
            country="NO",
            registration_number=None,
            tax_registration_number=tax,
        )

    def vendor_get(self, vendor_id: str) -> Vendor:
        return self.vendors[vendor_id]

    def vendors_search(self, *, states: list[str] | None = None, **_: Any) -> list[Vendor]:
        return [v for v in self.vendors.values() if states is None or v.state in states]

    def vendor_create(self, **kw: Any) -> Vendor:
        vendor = self._vendor_new(**kw)
        self.writes.append(("create", vendor.id))
        return vendor

    def _vendor_new(self, **kw: Any) -> Vendor:
        vendor = Vendor(
            id=f"v-{next(_ids)}",
            company_id="c-1",
            name=kw["name"],
            state="ACTIVE" if kw.get("external_id") else "DRAFT",
            code=kw.get("code"),
            external_id=kw.get("external_id"),
            default_currency=kw["default_currency"],
            country=kw.get("country"),
            registration_number=kw.get("registration_number"),
            tax_registration_number=kw.get("tax_registration_number"),
        )
        self.vendors[vendor.id] = vendor
        return vendor

    def vendor_activate(self, vendor_id: str, *, external_id: str, code: str | None = None) -> None:
        self.vendors[vendor_id] = replace(
            self.vendors[vendor_id], state="ACTIVE", external_id=external_id, code=code
        )
        self.writes.append(("activate", vendor_id))

    # -- vendor CSV import jobs: the file's rows become vendors when the job runs ------------

    def vendor_import_job_create(self, *, filename: str) -> CsvImportJob:
        job = CsvImportJob(f"job-{next(_ids)}", "UPLOAD_INITIATED", None, None, None, 0, 0, 0)
        self.jobs = {**getattr(self, "jobs", {}), job.id: (job, b"")}
        return job

    def vendor_import_upload_url(self, job_id: str) -> str:
        return f"https://uploads.example/{job_id}"

    def presigned_upload(self, url: str, content: bytes, *, content_type: str) -> None:
        job_id = url.rsplit("/", 1)[-1]
        self.jobs[job_id] = (replace(self.jobs[job_id][0], status="READY_FOR_IMPORT"), content)

    def vendor_import_run(self, job_id: str) -> CsvImportJob:
        job, content = self.jobs[job_id]
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        for row in rows:
            self._vendor_new(
                name=row["name"],
                default_currency=row["defaultCurrency"],
                code=row["code"] or None,
                external_id=row["externalId"] or None,
                country=row["country"] or None,
            )
        self.writes.append(("import", job_id))
        done = replace(job, status="COMPLETED", rows_total=len(rows), rows_succeeded=len(rows))
        self.jobs[job_id] = (done, content)
        return done

    def vendor_import_job_get(self, job_id: str) -> CsvImportJob:
        return self.jobs[job_id][0]

    def vendor_import_errors(self, job_id: str) -> list[Any]:
        return []

    def sleep(self, seconds: float) -> None:
        pass
