"""Validation of requests and responses against the official API contracts.

The contracts live beside the repository in `../shared/specs/` (see its README). Tests that use
them are marked `requires_specs` and skip with a clear reason when the folder is absent.

    validate_prepared_request("visma", responses.calls[0].request)
    validate_response("pleo", method="GET", path="/v3/export-jobs", status=200, body=payload)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound, ServerNotFound
from openapi_core.testing import MockRequest, MockResponse

REPO_ROOT = Path(__file__).resolve().parents[2]
SPECS_DIR = REPO_ROOT.parent / "shared" / "specs"

VISMA_SPEC = SPECS_DIR / "visma-net" / "openapi-subset.json"
VISMA_FULL_SPEC = SPECS_DIR / "visma-net" / "openapi-v1-20250424.json"
# Pleo's contract is split by tag; the unsplit export spec is the fallback for export paths.
PLEO_SPECS = [
    SPECS_DIR / "pleo" / name
    for name in (
        "pleo-export-api-v3-api-openapi.yml",
        "pleo-export-items-v3-api-openapi.yml",
        "pleo-accounts-api-openapi.yml",
        "pleo-tax-codes-api-openapi.yml",
        "pleo-tag-groups-api-openapi.yml",
        "pleo-tags-api-openapi.yml",
        "pleo-external-vendors-api-openapi.yml",
        "pleo-subscriptions-api-openapi.yml",
        "pleo-chart-of-accounts-openapi.yml",
        "pleo-export-openapi.yml",
    )
]
HOSTS = {"visma": "https://api.finance.visma.net", "pleo": "https://external.pleo.io"}
# Path segments where the remote API's own paths begin (anything before them is our mount
# point, e.g. /sandbox/visma).
_VERSION_PREFIXES = ("/v0/", "/v1/", "/v2/", "/v3/", "/v1-beta/")


def specs_available() -> bool:
    return VISMA_SPEC.exists() and all(p.exists() for p in PLEO_SPECS[:8])


requires_specs = pytest.mark.skipif(
    not specs_available(),
    reason=f"the official API specs are not at {SPECS_DIR} (../shared/specs beside the repository)",
)


def _drop_date_patterns(node: Any) -> None:
    """Pleo's specs put a date *format* where a regex belongs (`pattern: YYYY-MM-DDTHH:mi:ssZ`),
    so no real date-time would ever match; `format: date(-time)` already says what is meant."""
    if isinstance(node, dict):
        if node.get("format") in ("date", "date-time") and isinstance(node.get("pattern"), str):
            del node["pattern"]
        for value in node.values():
            _drop_date_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _drop_date_patterns(value)


@cache
def _load(path: Path) -> OpenAPI:
    data = (
        json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    )
    _drop_date_patterns(data)
    return OpenAPI.from_dict(data)


def _apis(service: str) -> Iterator[OpenAPI]:
    """The specs of a service in order of preference, each parsed on first use."""
    if service == "visma":
        paths = [VISMA_SPEC, VISMA_FULL_SPEC]
    elif service == "pleo":
        paths = PLEO_SPECS
    else:
        raise ValueError(f"unknown service {service!r}")
    for path in paths:
        if path.exists():
            yield _load(path)


def api_path(path_or_url: str) -> str:
    """The remote service's own path: strips scheme, host and our mount point."""
    path = urlsplit(path_or_url).path or "/"
    for prefix in _VERSION_PREFIXES:
        index = path.find(prefix)
        if index >= 0:
            return path[index:]
    return path


def _describe(exc: Exception) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    seen = {id(exc)}
    current: BaseException | None = exc
    while current is not None:
        for inner in getattr(current, "schema_errors", None) or []:
            parts.append(
                f"  - {getattr(inner, 'message', inner)} at {list(getattr(inner, 'path', []))}"
            )
        nxt = current.__cause__ or current.__context__
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        parts.append(f"caused by {type(nxt).__name__}: {nxt}")
        current = nxt
    return "\n".join(parts)


def _body_bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _mock_request(
    service: str,
    method: str,
    path: str,
    query: Mapping[str, Any] | list[tuple[str, Any]] | None,
    body: Any,
    content_type: str,
    headers: Mapping[str, str] | None,
) -> MockRequest:
    all_headers = {"Authorization": "Bearer contract-test", **(headers or {})}
    if content_type:
        all_headers.setdefault("Content-Type", content_type)
    # A list of pairs keeps repeated parameters (statuses=a&statuses=b) as several values.
    args: Any = list(query.items()) if isinstance(query, Mapping) else list(query or [])
    return MockRequest(
        HOSTS[service],
        method.lower(),
        api_path(path),
        args=args,
        headers=all_headers,
        data=_body_bytes(body),
        content_type=content_type,
    )


def _content_type_variants(content_type: str) -> list[str]:
    """JSON written with or without `charset=UTF-8` is the same body; the specs name one form
    exactly (Pleo: `application/json;charset=UTF-8`), so try the equivalent spellings."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        return [content_type]
    return [content_type, "application/json", "application/json;charset=UTF-8"]


def _run(service: str, check: Any, what: str) -> None:
    last: Exception | None = None
    for api in _apis(service):
        try:
            check(api)
            return
        except (PathNotFound, OperationNotFound, ServerNotFound) as exc:
            last = exc
            continue
        except Exception as exc:
            raise AssertionError(
                f"{what} does not match the {service} spec:\n{_describe(exc)}"
            ) from exc
    raise AssertionError(f"{what}: no such operation in the {service} spec ({last})")


def _run_variants(service: str, make_check: Any, content_type: str, what: str) -> None:
    variants = _content_type_variants(content_type)
    for index, variant in enumerate(variants):
        try:
            _run(service, make_check(variant), what)
            return
        except AssertionError as exc:
            if "MediaTypeNotFound" not in str(exc) or index == len(variants) - 1:
                raise


def validate_request(
    service: str,
    *,
    method: str,
    path: str,
    query: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    body: Any = None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> None:
    def make_check(variant: str) -> Any:
        request = _mock_request(service, method, path, query, body, variant, headers)
        return lambda api: api.validate_request(request)

    _run_variants(service, make_check, content_type, f"{method} {api_path(path)} request")


def validate_response(
    service: str,
    *,
    method: str,
    path: str,
    status: int,
    body: Any,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, Any] | None = None,
) -> None:
    request = _mock_request(service, method, path, query, None, "", None)
    data = _body_bytes(body) or b""

    def make_check(variant: str) -> Any:
        response = MockResponse(
            data, status_code=status, headers=dict(headers or {}), content_type=variant
        )
        return lambda api: api.validate_response(request, response)

    _run_variants(service, make_check, content_type, f"{method} {api_path(path)} response {status}")


def validate_prepared_request(service: str, request: requests.PreparedRequest) -> None:
    """Validate a request as a client sent it (e.g. `responses.calls[i].request`)."""
    url = request.url or ""
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    content_type = request.headers.get("Content-Type", "") or ""
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    validate_request(
        service,
        method=request.method or "GET",
        path=url,
        query=query,
        body=body,
        content_type=content_type,
        headers=headers,
    )


def validate_requests_response(service: str, response: requests.Response) -> None:
    """Validate a response received over HTTP (e.g. from the sandbox)."""
    request = response.request
    content_type = response.headers.get("Content-Type", "")
    validate_response(
        service,
        method=request.method or "GET",
        path=request.url or "",
        status=response.status_code,
        body=response.content,
        content_type=content_type,
        headers=dict(response.headers),
    )
