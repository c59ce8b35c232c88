"""The arrows of DESIGN §3 are enforced: `lint-imports` (run by `make lint`) passes on the code
as it is, and fails as soon as one arrow is broken in a copy of it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "integrations",
        tmp_path / "integrations",
        ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.pyc"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _add_import(module: Path, statement: str) -> None:
    module.write_text(module.read_text() + f"\n{statement}  # noqa\n")


def test_the_code_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        # masterdata never imports exports (even inside a function).
        ("masterdata/setup/selectors.py", "import integrations.exports.planner", "layers"),
        # visma and pleo use only core.
        ("visma/client.py", "import integrations.connections.models", "layers"),
        ("pleo/enums.py", "import integrations.visma.types", "layers"),
        # core uses nothing of ours.
        ("core/errors.py", "import integrations.pleo.enums", "layers"),
        # the sandbox imports nothing of the product but core.
        ("sandbox/common.py", "import integrations.pleo.webhooks", "sandbox"),
        # no product app imports the demo.
        ("connections/services.py", "import integrations.demo.connection", "demo"),
        ("exports/views.py", "import integrations.demo.inprocess", "demo"),
    ],
)
def test_breaking_one_arrow_fails_the_lint(
    tmp_path: Path, module: str, statement: str, contract: str
) -> None:
    copy = _copy(tmp_path)
    _add_import(copy / "integrations" / module, statement)

    result = _lint(copy)

    assert result.returncode != 0
    name = {
        "layers": "DESIGN §3 layers",
        "sandbox": "The sandbox imports nothing",
        "demo": "No product app imports the demo",
    }[contract]
    verdicts = [
        line.split()[-1]
        for line in result.stdout.splitlines()
        if line.startswith(name) and line.split()[-1] in ("KEPT", "BROKEN")
    ]
    assert verdicts == ["BROKEN"], result.stdout
