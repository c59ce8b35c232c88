"""The companies a token may read, in the Pleo sandbox.

Reference: developers.pleo.io API reference, "Search for Companies": `GET /v1/companies`
(optional `organization_id`, cursor paging) answers `{data: [{address{addressLine1,
addressLine2, country, locality, postalCode, region}, id, name, organizationId,
registrationNumber}], pagination}`; the public Go client (`companies/types.go`) reads the same
fields. A sandbox token belongs to one company, so the listing holds that company alone.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.pleo.api import methods, paginate, pleo_api, respond
from integrations.sandbox.pleo.models import Company


def company_shape(company: Company) -> dict[str, Any]:
    return {
        "address": {"country": company.country},
        "id": str(company.id),
        "name": company.name,
        # Sandbox companies belong to no organisation and carry no registration number.
        "organizationId": None,
        "registrationNumber": None,
    }


def _companies_list(request: HttpRequest, company: Company) -> HttpResponse:
    return respond(paginate(request, [company], company_shape))


companies = pleo_api(methods(get=_companies_list))
