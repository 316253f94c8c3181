"""`ArrowSpool`: Arrow tables appended to an unnamed temporary file, read back as a stream.

A crawl appends each page as it arrives, so the run holds one page however large the account is
(the issue's "page by page, never the whole account in memory"); the IO manager then reads the
file back batch by batch and inserts it in blocks. The file has no name, so nothing is left on
disk whatever happens; it is closed (its space freed) once the stream has been read to the end,
by `close()`, or, for a stream abandoned half-read, when the stream is garbage-collected.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pyarrow as pa


class ArrowSpool:
    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows = 0
        # Not a `with`: the file lives on in the reader this spool hands out, which closes it.
        self._file = tempfile.TemporaryFile(prefix="qtickets-spool-")  # noqa: SIM115
        self._writer = pa.ipc.new_stream(pa.PythonFile(self._file, mode="w"), schema)

    def append(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def reader(self) -> pa.RecordBatchReader:
        """Everything appended, as a one-pass stream; nothing more can be appended."""
        self._writer.close()  # writes the end-of-stream marker; the file itself stays open
        self._file.seek(0)
        stream = pa.ipc.open_stream(pa.PythonFile(self._file, mode="r"))
        return pa.RecordBatchReader.from_batches(self.schema, self._read_then_close(stream))

    def _read_then_close(self, stream: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
        try:
            yield from stream
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()
