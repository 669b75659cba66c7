from __future__ import annotations

from litestar import Controller, Request, post

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.feedback import service
from prefcenter.feedback.schemas import FeedbackCreate, FeedbackRead


class FeedbackController(Controller):
    path = "/v1/feedback"
    tags = ["feedback"]

    @post(
        "/",
        operation_id="recordFeedback",
        status_code=201,
        guards=[requires("feedback:write", subject_token=True)],
    )
    async def record(self, ctx: AppContext, request: Request, data: FeedbackCreate) -> FeedbackRead:
        """Record one answer to a CSAT (1-5), NPS (0-10) or CES (1-7) question at a channel and touchpoint.

        The subject is optional (anonymous feedback is a bare score) and named as in consent checks; a
        widget token answers for its own subject. The comment is sealed with the subject's data key, so
        erasing the subject shreds it; erasure keeps the bare score for aggregates."""
        async with ctx.unit_of_work() as uow:
            feedback = await service.record_feedback(uow, request.user, data)
            data_key = await uow.data_key(feedback.subject_id) if feedback.comment_sealed else None
            return service.feedback_read(feedback, data_key)
