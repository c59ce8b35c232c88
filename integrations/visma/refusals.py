"""What a Visma.net refusal means, read from its error message at the edge.

Visma.net's error body (`{"message": …}`, notes §5) carries no machine-readable code, so the one
refusal the exporter must tell apart is recognised here, once, from its words; the rest of the
code receives a kind, never the message to parse again.
"""

from __future__ import annotations

import re
from enum import StrEnum


class RefusalKind(StrEnum):
    # "VAT entry from general ledger" is off in Enable/disable functionalities (CS100000), so
    # Visma.net does not take journals created with `createVatTransaction` (Visma help "About
    # VAT entries from the general ledger", GL301000).
    VAT_ENTRY_FROM_GL_DISABLED = "vat_entry_from_gl_disabled"


# The exact wording Visma.net uses is not documented: any of these marks the refusal. The
# functionality is "VAT entry from general ledger" in Visma.net and "Tax entry from GL" in the
# platform it is built on; the window id is the same in every language.
_VAT_ENTRY_PATTERNS = (
    re.compile(r"\bCS100000\b"),
    re.compile(r"\b(vat|tax)\s+entr(y|ies)\s+from\s+(the\s+)?(general\s+ledger|gl)\b", re.I),
    re.compile(
        r"create\s*vat\s*transactions?\b.*\b(not\s+(enabled|activated|available|allowed)|"
        r"disabled)",
        re.I | re.S,
    ),
)


def refusal_kind(message: str) -> RefusalKind | None:
    """The kind of a refusal whose meaning the exporter acts on, or None for any other."""
    if any(pattern.search(message or "") for pattern in _VAT_ENTRY_PATTERNS):
        return RefusalKind.VAT_ENTRY_FROM_GL_DISABLED
    return None
