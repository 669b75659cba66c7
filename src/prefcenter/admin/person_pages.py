"""``/admin/subjects``: find a person, their single customer view, and the agent workspace on it.

Finding is exact (``subjects.people.find_people``: lookup hashes and ids, never a scan of plaintext). The
single customer view reads the person's identities (masked), settings, preferences, consents, contacts, GDPR
requests, legal hold and downstream state, and one timeline from the audit log; opening it is an audit event
(``staff.subject_viewed``). Revealing an identity is a separate POST with a reason, officers only, audited,
that redirects to the page, which shows the value once (``admin/revealed_once.py``): a reload never reveals
again. The workspace records a contact, a preference change or a verbal consent for the person through the same services as the API and the widget's agent mode, with the signed-in person as
actor (``staff:<id>``) and a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar, get_args

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin import revealed_once
from prefcenter.admin.forms import explain_invalid, read_form, required_text
from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import SignedInStaff, signed_in
from prefcenter.audit.timeline import subject_timeline
from prefcenter.catalog import service as catalog
from prefcenter.consents import double_opt_in as doi
from prefcenter.consents import service as consents
from prefcenter.consents.profile import read_profile_in
from prefcenter.consents.schemas import ConsentGrant, Evidence
from prefcenter.context import AppContext
from prefcenter.dsr import reads as dsr_reads
from prefcenter.errors import Conflict, DomainError, InvalidField, InvalidInput, ServiceMessageOptOut
from prefcenter.interactions import service as interactions
from prefcenter.interactions.schemas import CONTACT_CHANNELS, InteractionCreate
from prefcenter.staff import service as staff_accounts
from prefcenter.subjects import people
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferencesUpdate
from prefcenter.vocabulary import SINGLE_LINE_PATTERN, Touchpoint
from prefcenter.webhooks.subject_state import subject_deliveries

TOUCHPOINTS = get_args(Touchpoint)
Body = TypeVar("Body")
DIRECTIONS = ("inbound", "outbound")
OUTCOMES = ("resolved", "follow_up", "transferred")
MAX_REASON = 500
MAX_SUMMARY = 4000
PathId = Annotated[str, Parameter(max_length=36, pattern=SINGLE_LINE_PATTERN)]
Query = Annotated[str | None, Parameter(max_length=340, pattern=SINGLE_LINE_PATTERN)]
Filter = Annotated[str | None, Parameter(max_length=40, pattern=SINGLE_LINE_PATTERN)]

# A refusal the person can correct in the form (a missing reason, a channel the topic is not offered on):
# the page again with the form as entered and the error beside it, not the shared error page.
CORRECTABLE = (InvalidInput, InvalidField, ServiceMessageOptOut, Conflict)

DONE = {
    "interaction": "The contact was recorded.",
    "preference": "The preference change was recorded.",
    "consent": "The verbal consent was recorded.",
}


@dataclass(frozen=True)
class FormError:
    form: str  # which form: reveal, interaction, preference or consent
    detail: str
    entered: dict[str, object]  # what the person had filled in, to fill the form again


def _see(subject_id: str, done: str, consent: str | None = None) -> Redirect:
    shown = f"&consent={consent}" if consent else ""
    return Redirect(f"/admin/subjects/{subject_id}?done={done}{shown}#workspace", status_code=303)


# The workspace forms' fields as the page labels them (with the hint, after a colon).
FIELD_LABELS = {
    "channel": "Channel",
    "channels": "Channels",
    "touchpoint": "Touchpoint",
    "direction": "Direction",
    "topic": "Topic: one word in lower case, e.g. billing",
    "summary": "Summary",
    "outcome": "Outcome",
    "handle_seconds": "Handle time: whole seconds",
    "continues": "Continues",
    "status": "Choice",
    "preferred_channel": "Preferred channel",
    "frequency": "Frequency",
    "reason": "Reason",
}


def _decode(kind: type[Body], fields: dict) -> Body:
    """A workspace form as the API's request body: the same validation as the API (``InvalidInput``, naming
    the field as the page labels it)."""
    try:
        return msgspec.convert(fields, kind)
    except msgspec.ValidationError as exc:
        raise InvalidInput(explain_invalid(exc, FIELD_LABELS)) from None


def _optional_int(form: dict[str, str], name: str) -> int | None:
    value = form.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        label = FIELD_LABELS.get(name, name).partition(": ")[0]
        raise InvalidInput(f"{label} must be a whole number")
    return int(value)


async def _person_page(
    ctx: AppContext,
    staff: SignedInStaff,
    subject_id: str,
    *,
    channel: str | None = None,
    touchpoint: str | None = None,
    flash: str | None = None,
    form_error: FormError | None = None,
    revealed: people.RevealedIdentity | None = None,
    receipt_of: str | None = None,
    status: int = 200,
    cookies: list[Cookie] | None = None,
) -> Response:
    officer_view = staff.may("dsr")
    async with ctx.db.read_session() as session:
        subject = await subjects.get_subject(session, subject_id)
        profile = await read_profile_in(session, ctx.keys, subject_id)
        identities = await people.masked_identities(session, ctx.keys, subject_id)
        contacts = await interactions.list_interactions(session, ctx.keys, subject_id, None, 100)
        timeline = await subject_timeline(
            session, subject_id, channel=channel, touchpoint=touchpoint, with_requests=officer_view
        )
        current = await catalog.read_catalog(session, ctx.settings.company.name)
        requests = (
            (await dsr_reads.list_requests(session, subject_id=subject_id, limit=50)).items
            if officer_view
            else []
        )
        deliveries = await subject_deliveries(session, subject_id) if officer_view else []
        receipts = await consents.reissued_receipts(session, ctx.keys.signing_key, subject_id)
        staff_names = {member.id: member.name for member in await staff_accounts.list_staff(session)}
    catalog_channels = [c.key for c in current.channels]
    return admin_page(
        "subject.html",
        staff,
        title="Person " + (identities[0].masked if identities else (subject.external_id or subject_id[:8])),
        current="/admin/subjects",
        status=status,
        cookies=cookies,
        subject=subject,
        profile=profile,
        identities=identities,
        summaries={c.id: c.summary for c in contacts.items},
        contacts=contacts.items,
        timeline=timeline,
        requests=requests,
        deliveries=deliveries,
        officer_view=officer_view,
        may_reveal=staff.may("reveal_identity"),
        may_record=staff.may("record_for_person") and subject.erased_at is None,
        topics=current.topics,
        consent_topics=[t for t in current.topics if t.legal_basis == "consent" and t.notice is not None],
        channels=catalog_channels,
        contact_channels=[*catalog_channels, *(c for c in CONTACT_CHANNELS if c not in catalog_channels)],
        touchpoints=TOUCHPOINTS,
        directions=DIRECTIONS,
        outcomes=OUTCOMES,
        contacts_by_id={c.id: c for c in contacts.items},
        filter_channel=channel or "",
        filter_touchpoint=touchpoint or "",
        flash=flash,
        form_error=form_error,
        revealed=revealed,
        receipt=receipts.get(receipt_of) if receipt_of else None,
        matrix={f"{p.topic}/{p.channel}": p.status for p in profile.preferences},
        receipts=receipts,
        staff_names=staff_names,
        max_reason=MAX_REASON,
        max_summary=MAX_SUMMARY,
    )


async def _form_again(
    ctx: AppContext, staff: SignedInStaff, subject_id: str, which: str, entered: dict, exc: DomainError
) -> Response:
    """The single customer view again, ``which`` form filled in as it was posted, with the refusal beside it."""
    error = FormError(which, exc.detail, entered)
    return await _person_page(ctx, staff, subject_id, form_error=error, status=exc.status)


def _interaction_body(form: dict[str, str], staff_id: str) -> InteractionCreate:
    return _decode(
        InteractionCreate,
        {
            "channel": form.get("channel", ""),
            "touchpoint": form.get("touchpoint", ""),
            "direction": form.get("direction", ""),
            "topic": form.get("topic") or None,
            "summary": form.get("summary") or None,
            "outcome": form.get("outcome") or None,
            "handle_seconds": _optional_int(form, "handle_seconds"),
            "agent": staff_id,
            "continues": form.get("continues") or None,
        },
    )


def _preferences_body(form: dict[str, str]) -> PreferencesUpdate:
    reason = required_text(form, "reason", MAX_REASON, "the reason (what the person asked for)")
    fields: dict[str, object] = {"touchpoint": form.get("touchpoint", ""), "reason": reason, "items": []}
    if form.get("topic") and form.get("channel") and form.get("status"):
        fields["items"] = [{"channel": form["channel"], "topic": form["topic"], "status": form["status"]}]
    if form.get("do_not_contact") in ("yes", "no"):
        fields["do_not_contact"] = form["do_not_contact"] == "yes"
    for name in ("preferred_channel", "language", "frequency"):
        if form.get(name):
            fields[name] = form[name]
    if len(fields) == 3 and not fields["items"]:
        raise InvalidInput("choose a preference or a setting to change")
    return _decode(PreferencesUpdate, fields)


def _verbal_consent(
    form: dict[str, str], channels: list[str], read_out: dict[str, int]
) -> tuple[ConsentGrant, Evidence]:
    """The consent as the API's body (the topic's latest notice is the one read out) and its evidence."""
    reason = required_text(form, "reason", MAX_REASON, "the reason (what the person said)")
    topic = form.get("topic", "")
    if topic not in read_out:
        raise InvalidInput(f"topic {topic} has no notice to read out")
    if not channels:
        raise InvalidInput("choose at least one channel the person agreed to")
    body = _decode(
        ConsentGrant,
        {
            "topic": topic,
            "channels": channels,
            "notice_version": read_out[topic],
            "method": "verbal",
            "touchpoint": form.get("touchpoint", ""),
        },
    )
    return body, Evidence(note=reason)


class PersonPagesController(Controller):
    path = "/subjects"

    @get("/", operation_id="adminFindPerson")
    async def find_person(self, ctx: AppContext, request: Request, q: Query = None) -> Response:
        """People matching an email, phone, external id or subject id exactly."""
        staff = await signed_in(ctx, request, "find_person")
        text = (q or "").strip()
        found = []
        if text:
            async with ctx.db.read_session() as session:
                for subject in await people.find_people(session, ctx.keys.pepper, text):
                    found.append((subject, await people.masked_identities(session, ctx.keys, subject.id)))
        return admin_page(
            "subject_search.html",
            staff,
            title="Find a person",
            current="/admin/subjects",
            query=text,
            found=found,
        )

    @get("/{subject_id:str}", operation_id="adminPerson")
    async def person(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: PathId,
        channel: Filter = None,
        touchpoint: Filter = None,
        done: Filter = None,
        consent: Filter = None,
    ) -> Response:
        """The single customer view (recorded in the audit log as a view by this person); after recording a
        verbal consent, ``consent`` names it so its signed receipt is shown at the top."""
        staff = await signed_in(ctx, request, "view_person")
        async with ctx.db.read_session() as session:
            subject_id = (await subjects.get_subject(session, subject_id)).id
        async with ctx.unit_of_work() as uow:
            await people.record_view(uow, staff.actor, subject_id)
        revealed, cookies = revealed_once.take(ctx, request, staff, subject_id)
        return await _person_page(
            ctx,
            staff,
            subject_id,
            channel=channel or None,
            touchpoint=touchpoint or None,
            flash=DONE.get(done or ""),
            receipt_of=consent or None,
            revealed=revealed,
            cookies=cookies,
        )

    @post("/{subject_id:str}/identities/{identity_id:str}/reveal", operation_id="adminRevealIdentity")
    async def reveal(
        self, ctx: AppContext, request: Request, subject_id: PathId, identity_id: PathId
    ) -> Response:
        """One identity in full, for a stated reason (officers; audited), shown once on the page this redirects to."""
        staff = await signed_in(ctx, request, "reveal_identity")
        form = await read_form(request, staff)
        try:
            reason = required_text(form, "reason", MAX_REASON, "the reason for revealing the identity")
        except CORRECTABLE as exc:
            return await _form_again(ctx, staff, subject_id, "reveal", form, exc)
        async with ctx.unit_of_work() as uow:
            revealed = await people.reveal_identity(uow, staff.actor, subject_id, identity_id, reason)
        handover = revealed_once.hand_over(ctx, request, staff, subject_id, revealed)
        return Redirect(f"/admin/subjects/{subject_id}#revealed", status_code=303, cookies=[handover])

    @post("/{subject_id:str}/interactions", operation_id="adminRecordInteraction")
    async def record_interaction(self, ctx: AppContext, request: Request, subject_id: PathId) -> Response:
        """Record a contact with the person (the signed-in person is the actor and the agent)."""
        staff = await signed_in(ctx, request, "record_for_person")
        form = await read_form(request, staff)
        try:
            body = _interaction_body(form, staff.staff_id)
            async with ctx.unit_of_work() as uow:
                await interactions.record_interaction(uow, staff.actor, subject_id, body)
        except CORRECTABLE as exc:
            return await _form_again(ctx, staff, subject_id, "interaction", form, exc)
        return _see(subject_id, "interaction")

    @post("/{subject_id:str}/preferences", operation_id="adminRecordPreference")
    async def record_preference(self, ctx: AppContext, request: Request, subject_id: PathId) -> Response:
        """Record a preference change or settings the person asked for, with a reason."""
        staff = await signed_in(ctx, request, "record_for_person")
        form = await read_form(request, staff)
        try:
            body = _preferences_body(form)
            async with ctx.unit_of_work() as uow:
                await subjects.update_preferences(uow, staff.actor, subject_id, body, None)
        except CORRECTABLE as exc:
            return await _form_again(ctx, staff, subject_id, "preference", form, exc)
        return _see(subject_id, "preference")

    @post("/{subject_id:str}/consents", operation_id="adminRecordConsent")
    async def record_consent(self, ctx: AppContext, request: Request, subject_id: PathId) -> Response:
        """Record a consent the person gave verbally (method ``verbal``), with a reason kept as evidence."""
        staff = await signed_in(ctx, request, "record_for_person")
        form = await read_form(request, staff)
        channels = [str(c) for c in (await request.form()).getall("channels", []) if isinstance(c, str)]
        async with ctx.db.read_session() as session:
            current = await catalog.read_catalog(session, ctx.settings.company.name)
        read_out = {t.key: t.notice.version for t in current.topics if t.notice is not None}
        try:
            body, evidence = _verbal_consent(form, channels, read_out)
            async with ctx.unit_of_work() as uow:
                subject = await uow.lock_subject(subject_id)
                result = await consents.grant(uow, staff.actor, subject_id, body, evidence)
                uow.bump_revision(subject)
        except CORRECTABLE as exc:
            return await _form_again(ctx, staff, subject_id, "consent", {**form, "channels": channels}, exc)
        if result.status == "pending_confirmation":
            # After the commit, as the API does: a mail failure is logged and the consent stays pending.
            language = request.headers.get("accept-language")
            await ctx.db.after_commit(lambda: doi.send_confirmation(ctx, subject_id, result.id, language))
        # Post/redirect/get, as the other forms: reloading the page does not record the consent again.
        return _see(subject_id, "consent", consent=result.id)
