"""Byte ranges of streamed shards through the loader's HTTP client, for the read-ahead.

A :class:`~atek_store.loading.readahead.RangeSource` over
:class:`~atek_store.loading.remote.HttpClient`: the same transport and retry policy as streaming
(no other HTTP code). Each range is a GET from its first byte, read as far as the range goes,
then dropped; a connection lost on the way is re-requested from where it stopped (up to the
client's ``resumes``).
"""

from __future__ import annotations

from collections.abc import Mapping

from atek_store.download.transport import parse_content_range
from atek_store.errors import TransferError
from atek_store.loading.readahead import RangeSink
from atek_store.loading.remote import HttpClient

__all__ = ["ClientRanges"]

_PIECE = 1 << 20


def _declared_size(headers: Mapping[str, str]) -> int | None:
    span = parse_content_range(headers.get("Content-Range"))
    if span is not None:
        return span.total
    # A 200 answers with the whole file (the client skips what lies before the range).
    length = headers.get("Content-Length")
    return int(length) if length is not None and length.isdigit() else None


class ClientRanges:
    """Byte ranges through one HTTP client (make one per reading process; safe across its threads).

    Args:
        client: the HTTP client.
    """

    def __init__(self, client: HttpClient) -> None:
        self._client = client

    def read_range(self, url: str, start: int, end: int, sink: RangeSink) -> None:
        """Bytes ``[start, end)`` of ``url`` into ``sink``, the file's size first."""
        done, sized, resumes = 0, False, self._client.options.resumes
        scratch = memoryview(bytearray(_PIECE))
        while True:
            body = self._client.request(url, start + done)
            try:
                if not sized:
                    sink.size(_declared_size(body.response.headers))
                    sized = True
                while done < end - start:
                    count = body.readinto(scratch[: min(_PIECE, end - start - done)])
                    if not count:
                        return
                    sink.write(scratch[:count])
                    done += count
                return
            except TransferError as error:
                if not error.retryable or resumes <= 0:
                    raise
                resumes -= 1
            finally:
                body.response.close()
