"""The one rule for the chosen branch, judged by the branches it is given: Visma.net's list when
the branch is chosen and in the permission check, the mirror in the setup overview."""

from __future__ import annotations

from collections.abc import Sequence

from integrations.visma.types import Branch


def branch_problem(*, branch_number: str, branches: Sequence[Branch]) -> str | None:
    """Why `branch_number` cannot be the connection's branch, or None."""
    branch = next((b for b in branches if b.number == branch_number), None)
    if branch is None:
        return f"Branch {branch_number} does not exist in this company."
    if not branch.active:
        return f"Branch {branch.number} ({branch.name}) is inactive in Visma.net."
    return None
