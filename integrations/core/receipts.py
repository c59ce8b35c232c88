"""A receipt on its way from Pleo to Visma.net, held in a spooled file rather than in one
piece of memory: in memory up to SPOOL_BYTES, in a temporary file beyond. A worker that moves
several receipts at once keeps a flat memory however large they are (Pleo takes files of up to
30 MB), and an upload sent again after a lost answer reads the same bytes from the start.

The upload reads it in blocks as the request goes out (`ApiClient` sends a file part that is a
`Receipt` as a streamed multipart body): it is never joined into one `bytes`.
"""

from __future__ import annotations

import tempfile
from types import TracebackType

# What a receipt may hold in memory before it goes to a temporary file.
SPOOL_BYTES = 1024 * 1024


class Receipt:
    """The bytes of one file and their content type; close it (or use `with`) once sent."""

    def __init__(self, content_type: str = "application/octet-stream") -> None:
        self.content_type = content_type
        self.size = 0
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115

    @classmethod
    def of(cls, content: bytes, content_type: str = "application/octet-stream") -> Receipt:
        receipt = cls(content_type)
        receipt.write(content)
        return receipt

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.size += len(chunk)

    def reader(self) -> ReceiptReader:
        """A reader from the first byte: one for each attempt to send the receipt."""
        return ReceiptReader(self)

    def read(self) -> bytes:
        """The whole receipt as one `bytes` (tests, small files)."""
        self._file.seek(0)
        return self._file.read()

    @property
    def in_memory(self) -> bool:
        return not getattr(self._file, "_rolled", False)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Receipt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ReceiptReader:
    """What a streamed multipart body reads a file part from: `read(n)`, and the bytes still
    to read as its length. It has no `fileno()`: asked for one, a spooled file in memory would
    move itself to disk."""

    def __init__(self, receipt: Receipt) -> None:
        self._file = receipt._file
        self._file.seek(0)
        self._left = receipt.size

    def __len__(self) -> int:
        return self._left

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(wanted)
        self._left -= len(data)
        return data
