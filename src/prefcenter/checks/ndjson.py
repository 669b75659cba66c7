"""NDJSON streaming for campaign-scale checks: bounded chunks in, bounded chunks out (flat memory)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator

from litestar.enums import MediaType
from litestar.response import Stream
from litestar.response.streaming import ASGIStreamingResponse
from litestar.utils import get_enum_string_value

from prefcenter.checks.ndjson_answer import MAX_LINE_BYTES, answer_here
from prefcenter.checks.service import CheckRun
from prefcenter.checks.worker_pool import CheckWorkers

STREAM_CHUNK = 4000  # records decided together: one IN (...) read per table per chunk


async def lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Split a byte stream into lines without ever holding more than one incomplete line."""
    tail = b""
    async for chunk in chunks:
        if not chunk:
            continue
        data = tail + chunk if tail else chunk
        parts = data.split(b"\n")
        tail = parts.pop()
        if len(tail) > MAX_LINE_BYTES:
            yield tail  # decoded as an error below; keeps memory bounded
            tail = b""
        for part in parts:
            yield part
    if tail:
        yield tail


async def decide_stream(
    run: CheckRun,
    records: AsyncIterable[bytes],
    channel: str | None,
    topic: str | None,
    workers: CheckWorkers | None = None,
) -> AsyncIterator[bytes]:
    """NDJSON out, one result per non-blank input line, in input order, one chunk at a time.

    With ``workers``, a stream longer than one chunk is answered by the check worker processes, up to
    ``workers.depth`` chunks at a time, still in input order and in bounded memory; a shorter one never
    starts them."""
    chunks = _line_chunks(records)
    start = 0
    async for chunk in chunks:
        if workers is not None and len(chunk) == STREAM_CHUNK:
            async for answer in _fanned_out(run, workers, chunk, chunks, channel, topic):
                yield answer
            return
        yield await answer_here(run, chunk, start, channel, topic)
        start += len(chunk)


async def _line_chunks(records: AsyncIterable[bytes]) -> AsyncIterator[list[bytes]]:
    """The non-blank lines, ``STREAM_CHUNK`` at a time (the last chunk may be shorter)."""
    chunk: list[bytes] = []
    async for line in lines(records):
        if line.strip():
            chunk.append(line)
            if len(chunk) >= STREAM_CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


async def _fanned_out(
    run: CheckRun,
    workers: CheckWorkers,
    first: list[bytes],
    chunks: AsyncIterator[list[bytes]],
    channel: str | None,
    topic: str | None,
) -> AsyncIterator[bytes]:
    in_flight: deque[asyncio.Future[bytes]] = deque()
    start = 0

    def submit(chunk: list[bytes]) -> None:
        nonlocal start
        in_flight.append(asyncio.ensure_future(workers.answer(run, b"\n".join(chunk), start, channel, topic)))
        start += len(chunk)

    try:
        submit(first)
        async for chunk in chunks:
            submit(chunk)
            if len(in_flight) >= workers.depth:
                yield await in_flight.popleft()
        while in_flight:
            yield await in_flight.popleft()
    finally:
        for pending in in_flight:
            pending.cancel()


class _DuplexASGIStreamingResponse(ASGIStreamingResponse):
    """Streams the body without Litestar's disconnect listener.

    That listener calls ``receive()`` beside the stream and drops any request-body message it gets, which
    breaks full duplex (reading the request while answering it). Here only the handler's generator reads
    the request; a client that goes away ends ``request.stream()`` with an error, which ends the response.
    """

    __slots__ = ()

    async def send_body(self, send, receive) -> None:
        await self._stream(send)


class DuplexStream(Stream):
    """A ``Stream`` response whose iterator may still be reading the request body (NDJSON in, NDJSON out):
    ``Stream.to_asgi_response`` with the duplex ASGI response in place of Litestar's."""

    __slots__ = ()

    def to_asgi_response(
        self,
        app=None,
        request=None,
        *,
        background=None,
        cookies=None,
        encoded_headers=None,
        headers=None,
        is_head_response: bool = False,
        media_type=None,
        status_code: int | None = None,
        type_encoders=None,
    ) -> _DuplexASGIStreamingResponse:
        return _DuplexASGIStreamingResponse(
            background=self.background or background,
            content_length=0,
            cookies=self.cookies if cookies is None else [*self.cookies, *cookies],
            encoded_headers=encoded_headers,
            encoding=self.encoding,
            headers={**headers, **self.headers} if headers is not None else self.headers,
            is_head_response=is_head_response,
            iterator=self.iterator,  # always an async iterator here (decide_stream)
            media_type=get_enum_string_value(media_type or self.media_type or MediaType.JSON),
            status_code=self.status_code or status_code,
        )
