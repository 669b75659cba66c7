"""The NDJSON answer to one chunk of whole lines, the same in the server and in a check worker process:
each line parsed as a record, the records decided, the results and per-line errors merged in input order."""

from __future__ import annotations

import msgspec

from prefcenter.checks.schemas import CheckItem, CheckItemError, CheckResult
from prefcenter.checks.service import CheckRun

MAX_LINE_BYTES = 4096

_line_decoder = msgspec.json.Decoder(CheckItem | str)
_encoder = msgspec.json.Encoder()


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
    if isinstance(item, str):  # its text is checked with every other subject's (parse_subject_ref)
        return (item, None, None)
    return (item.subject, item.channel, item.topic)


def merged(start: int, results: list[CheckResult], errors: dict[int, CheckItemError], total: int) -> bytes:
    """The encoded answer of ``total`` records from ``start``: decided results and per-line errors in order."""
    out: list[CheckResult] = []
    it = iter(results)
    for position in range(start, start + total):
        error = errors.get(position)
        out.append(CheckResult(position, error=error) if error else _reindexed(next(it), position))
    return _encoder.encode_lines(out)


def split_lines(lines: list[bytes], start: int) -> tuple[list, dict[int, CheckItemError]]:
    """Whole non-blank lines, the first numbered ``start``: the items to decide and the per-line errors."""
    batch: list[tuple[str, str | None, str | None]] = []
    errors: dict[int, CheckItemError] = {}
    for position, line in enumerate(lines, start):
        parsed = parse_record(line)
        if isinstance(parsed, CheckItemError):
            errors[position] = parsed
        else:
            batch.append(parsed)
    return batch, errors


async def answer_here(
    run: CheckRun, lines: list[bytes], start: int, channel: str | None, topic: str | None
) -> bytes:
    """The NDJSON answer to whole non-blank lines (the first numbered ``start``), in this process."""
    batch, errors = split_lines(lines, start)
    results = await run.decide_items(batch, channel, topic, start_index=start) if batch else []
    return merged(start, results, errors, len(lines))


def _reindexed(result: CheckResult, position: int) -> CheckResult:
    result.index = position
    return result
