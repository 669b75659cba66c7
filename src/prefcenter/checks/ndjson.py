"""NDJSON streaming for campaign-scale checks: bounded chunks in, bounded chunks out (flat memory)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import msgspec
from litestar.response import Stream
from litestar.response.streaming import ASGIStreamingResponse

from prefcenter.checks.schemas import CheckItem, CheckItemError, CheckResult
from prefcenter.checks.service import CheckRun

STREAM_CHUNK = 4000  # records decided together: one IN (...) read per table per chunk
MAX_LINE_BYTES = 4096

_line_decoder = msgspec.json.Decoder(CheckItem | str)
_encoder = msgspec.json.Encoder()


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


def parse_record(line: bytes) -> tuple[str, str | None, str | None] | CheckItemError:
    """One input record: ``{"subject": ..., "channel"?: ..., "topic"?: ...}`` or a bare JSON string."""
    if len(line) > MAX_LINE_BYTES:
        return CheckItemError("invalid-input", "The request is not valid", "line is too long")
    try:
        item = _line_decoder.decode(line)
    except msgspec.ValidationError as exc:
        return CheckItemError("validation-error", "The request is not valid", str(exc))
    except msgspec.DecodeError:
        return CheckItemError("validation-error", "The request is not valid", "line is not valid JSON")
    if isinstance(item, str):
        if not item or len(item) > 400:
            return CheckItemError(
                "validation-error", "The request is not valid", "subject must be 1-400 chars"
            )
        return (item, None, None)
    return (item.subject, item.channel, item.topic)


async def decide_stream(
    run: CheckRun, records: AsyncIterable[bytes], channel: str | None, topic: str | None
) -> AsyncIterator[bytes]:
    """NDJSON out, one result per non-blank input line, in input order, one chunk at a time."""
    index = 0
    batch: list[tuple[str, str | None, str | None]] = []
    errors: dict[int, CheckItemError] = {}

    async def flush() -> bytes:
        nonlocal index
        results = await run.decide_items(batch, channel, topic, start_index=index) if batch else []
        merged: list[CheckResult] = []
        it = iter(results)
        total = len(batch) + len(errors)
        for position in range(index, index + total):
            error = errors.get(position)
            merged.append(CheckResult(position, error=error) if error else _reindexed(next(it), position))
        index += total
        batch.clear()
        errors.clear()
        return _encoder.encode_lines(merged)

    async for line in lines(records):
        if not line.strip():
            continue
        parsed = parse_record(line)
        if isinstance(parsed, CheckItemError):
            errors[index + len(batch) + len(errors)] = parsed
        else:
            batch.append(parsed)
        if len(batch) + len(errors) >= STREAM_CHUNK:
            yield await flush()
    if batch or errors:
        yield await flush()


def _reindexed(result: CheckResult, position: int) -> CheckResult:
    result.index = position
    return result


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
    """A ``Stream`` response whose iterator may still be reading the request body (NDJSON in, NDJSON out)."""

    __slots__ = ()

    def to_asgi_response(self, *args, **kwargs):
        response = super().to_asgi_response(*args, **kwargs)
        response.__class__ = _DuplexASGIStreamingResponse
        return response
