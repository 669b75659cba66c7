from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.checks import service
from prefcenter.checks.ndjson import DuplexStream, decide_stream
from prefcenter.checks.schemas import (
    MAX_BATCH,
    CheckResult,
    ConsentCheckBatch,
    ConsentCheckBatchRead,
    ConsentCheckRead,
)
from prefcenter.checks.worker_pool import check_workers
from prefcenter.context import AppContext
from prefcenter.errors import InvalidInput, PayloadTooLarge
from prefcenter.http.idempotency import READ_ONLY_OPT
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import format_instant, utcnow
from prefcenter.vocabulary import SINGLE_LINE_PATTERN, Key, TopicKey

SubjectParam = Annotated[
    str,
    Parameter(
        description="A prefcenter id, `external_id:<id>` or an identity `kind:value` (e.g. `email:ann@example.com`)",
        min_length=1,
        max_length=400,
        pattern=SINGLE_LINE_PATTERN,
    ),
]
ChannelParam = Annotated[
    str, Parameter(description="Channel key, e.g. `email`", max_length=40, pattern=SINGLE_LINE_PATTERN)
]
TopicParam = Annotated[
    str, Parameter(description="Topic key, e.g. `newsletter`", max_length=60, pattern=SINGLE_LINE_PATTERN)
]
STREAM_MAX_BYTES = 1 << 30  # 1 GiB of NDJSON: about ten million recipients


class ConsentCheckController(Controller):
    path = "/v1/consent-checks"
    tags = ["consent checks"]
    guards = [requires("consent:check")]

    @get("/", operation_id="checkConsent", cache_control=None)
    async def check(
        self,
        request: Request,
        subject: SubjectParam,
        channel: ChannelParam,
        topic: TopicParam,
    ) -> ConsentCheckRead:
        """May we contact this subject on this channel about this topic? Decision, reason and evidence."""
        # the hot path: the context from app state, not a DI provider (no per-request session either)
        ctx: AppContext = request.app.state.ctx
        return await service.check_one(
            projection_reader(ctx.db), ctx.keys.pepper, utcnow(), subject, channel, topic
        )

    @post("/", operation_id="checkConsentBatch", status_code=200, opt={READ_ONLY_OPT: True})
    async def check_batch(self, ctx: AppContext, data: ConsentCheckBatch) -> ConsentCheckBatchRead:
        """Up to 10,000 checks in one call, answered in input order; a bad item gets its own error."""
        if (data.items is None) == (data.subjects is None):
            raise InvalidInput(
                "send either items (subject, channel, topic) or subjects with channel and topic"
            )
        if data.subjects is not None:
            if data.channel is None or data.topic is None:
                raise InvalidInput("subjects needs the batch's channel and topic")
            items = [(s, None, None) for s in data.subjects]
        else:
            items = [(i.subject, i.channel, i.topic) for i in data.items or ()]
        if len(items) > MAX_BATCH:
            raise PayloadTooLarge(
                f"a batch holds at most {MAX_BATCH} items, this one {len(items)}; "
                "use POST /v1/consent-checks/stream for campaigns",
                max_items=MAX_BATCH,
            )
        now = utcnow()
        run = service.CheckRun(projection_reader(ctx.db), ctx.keys.pepper, now)
        workers = check_workers(ctx) if len(items) > service.PIECE else None
        results: list[CheckResult] = await (
            workers.decide_items(run, items, data.channel, data.topic)
            if workers is not None
            else run.decide_items(items, data.channel, data.topic)
        )
        allowed = sum(1 for r in results if r.allowed)
        errors = sum(1 for r in results if r.error is not None)
        return ConsentCheckBatchRead(
            checked_at=format_instant(now),
            allowed=allowed,
            denied=len(results) - allowed - errors,
            errors=errors,
            results=results,
        )

    @post(
        "/stream",
        operation_id="checkConsentStream",
        status_code=200,
        request_max_body_size=STREAM_MAX_BYTES,
        media_type="application/x-ndjson",
        opt={READ_ONLY_OPT: True},
    )
    async def check_stream(
        self,
        ctx: AppContext,
        request: Request,
        channel: Annotated[Key | None, Parameter(description="Channel for lines without one")] = None,
        topic: Annotated[TopicKey | None, Parameter(description="Topic for lines without one")] = None,
    ) -> DuplexStream:
        """Campaign scale: NDJSON in (one `{"subject", "channel"?, "topic"?}` or `"subject"` per line),
        NDJSON out (one result per line, in order), streamed in bounded chunks."""
        unknown = sorted(set(request.query_params) - {"channel", "topic"})
        if unknown:
            raise InvalidInput(f"unknown query parameter(s): {', '.join(unknown)[:200]}")
        run = service.CheckRun(projection_reader(ctx.db), ctx.keys.pepper, utcnow())
        return DuplexStream(
            decide_stream(run, request.stream(), channel, topic, check_workers(ctx)),
            media_type="application/x-ndjson",
        )
