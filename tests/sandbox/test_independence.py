"""The sandbox stands apart from the product (DESIGN §3): it imports nothing of ours except
`integrations.core` helpers and its own modules, so it cannot share the product's mistakes."""

from __future__ import annotations

import ast
from pathlib import Path

import integrations.sandbox

ALLOWED = ("integrations.core", "integrations.sandbox")


def _imported_modules(source: Path) -> list[tuple[int, str]]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from integrations import pleo` names the product app in the alias.
            if node.module == "integrations":
                found.extend((node.lineno, f"integrations.{a.name}") for a in node.names)
    return found


def test_sandbox_imports_no_product_code() -> None:
    root = Path(integrations.sandbox.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) > 20  # the walk really covers the sandbox package
    offending = [
        f"{path.relative_to(root)}:{line} imports {module}"
        for path in sources
        for line, module in _imported_modules(path)
        if (module == "integrations" or module.startswith("integrations."))
        and not module.startswith(ALLOWED)
    ]
    assert offending == []
