"""The Pleo client: one class over Pleo's external API (https://external.pleo.io).

`PleoClient` joins the export API (`export_api.py`) and the reference data and subscription
endpoints (`reference_api.py`); `PleoOAuth` (`auth.py`) keeps its access token fresh.
"""

from __future__ import annotations

from integrations.pleo.auth import PleoOAuth, PleoTokenApi, code_challenge
from integrations.pleo.export_api import ITEM_UPDATE_BATCH, MAX_FILE_BYTES, PleoExportApi
from integrations.pleo.reference_api import PleoReferenceApi
from integrations.pleo.vendor_import import PleoVendorImportApi

__all__ = [
    "ITEM_UPDATE_BATCH",
    "MAX_FILE_BYTES",
    "PleoClient",
    "PleoOAuth",
    "PleoTokenApi",
    "code_challenge",
]


class PleoClient(PleoExportApi, PleoReferenceApi, PleoVendorImportApi):
    """`PleoClient(base_url=…, auth=PleoOAuth(…), company_id=…, session=None, sleep=time.sleep,
    max_wait=None)`; service "pleo" in the ApiCall log."""
