"""The demo catalog, a demo API client, a demo subject and a demo admin, loaded on the first ``make run``.

The demo admin (admin@example.com) gets a one-time set-password link on every run until they set a password."""

from __future__ import annotations

import json

from sqlalchemy import select

from prefcenter.auth.clients import create_client
from prefcenter.auth.principal import SCOPES
from prefcenter.catalog import service as catalog
from prefcenter.catalog.schemas import ChannelWrite, NoticeWrite, TopicWrite
from prefcenter.context import AppContext
from prefcenter.private_files import open_private
from prefcenter.staff import service as staff
from prefcenter.store.models import ApiClient, Channel, Subject
from prefcenter.store.unit_of_work import SYSTEM
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import IdentityWrite, SubjectCreate
from prefcenter.web.demo_credentials import credentials_file

CHANNELS = {
    "email": "Email",
    "sms": "SMS",
    "phone": "Phone",
    "post": "Post",
    "push": "Push notifications",
}
TOPICS = {
    "newsletter": TopicWrite(
        name="Newsletter",
        group="Marketing",
        legal_basis="consent",
        channels=["email", "sms", "post"],
        description="Our monthly newsletter with news and stories.",
        double_opt_in=True,
        consent_lifetime_days=730,
        honour_gpc=True,
    ),
    "offers": TopicWrite(
        name="Offers and discounts",
        group="Marketing",
        legal_basis="consent",
        channels=["email", "sms", "phone", "push"],
        description="Personal offers and discounts.",
        consent_lifetime_days=365,
        honour_gpc=True,
    ),
    "product_updates": TopicWrite(
        name="Product updates",
        group="Service",
        legal_basis="legitimate_interest",
        channels=["email", "push"],
        description="News about products you use.",
    ),
    "billing": TopicWrite(
        name="Billing and account",
        group="Service",
        legal_basis="contract",
        channels=["email", "sms", "post"],
        description="Invoices, payment reminders and account notices.",
        allow_when_channel_opted_out=True,
    ),
}
NOTICES = {
    "newsletter": "We send you our newsletter about once a month. You can unsubscribe at any time.",
    "offers": "We send you personal offers based on your purchases. You can withdraw at any time.",
}
DEMO_CLIENT_ID = "demo-client"
DEMO_ADMIN_EMAIL = "admin@example.com"


async def load_demo(ctx: AppContext) -> dict:
    """Idempotent: creates the demo data once and returns the demo credentials every time."""
    path = credentials_file(ctx)
    async with ctx.unit_of_work() as uow:
        if (await uow.session.execute(select(Channel.key).limit(1))).first() is None:
            for key, name in CHANNELS.items():
                await catalog.put_channel(uow, SYSTEM, key, ChannelWrite(name=name))
            for key, topic in TOPICS.items():
                await catalog.put_topic(uow, SYSTEM, key, topic)
            for key, text in NOTICES.items():
                await catalog.add_notice(uow, SYSTEM, key, NoticeWrite(text=text))
        # The file alone is not enough: it may name a client of an earlier database (the database was
        # deleted or replaced, the file kept), whose secret this database would refuse.
        has_client = await uow.session.get(ApiClient, DEMO_CLIENT_ID) is not None
        if has_client and not path.exists():
            raise RuntimeError(f"{path} is missing but the database has the demo client: restore the file")
        if not has_client:
            client = await create_client(
                uow, "Demo client (all scopes)", list(SCOPES), client_id=DEMO_CLIENT_ID
            )
            demo = (
                await uow.session.execute(select(Subject).where(Subject.external_id == "demo-customer-1"))
            ).scalar_one_or_none()
            if demo is None:
                demo = await subjects.create_subject(
                    uow,
                    SYSTEM,
                    SubjectCreate(
                        external_id="demo-customer-1",
                        identities=[IdentityWrite(kind="email", value="ann@example.com")],
                    ),
                )
            with open_private(path) as fh:
                json.dump(
                    {
                        "client_id": client.client_id,
                        "client_secret": client.client_secret,
                        "demo_subject_id": demo.id,
                    },
                    fh,
                )
    creds = json.loads(path.read_text())
    creds["demo_admin"] = {"email": DEMO_ADMIN_EMAIL, "set_password_url": await demo_admin_link(ctx)}
    return creds


async def demo_admin_link(ctx: AppContext) -> str | None:
    """The demo admin's one-time set-password link: made with the person on the first run, a new one on each
    run until they set a password (the earlier one stops working); None once they have one."""
    async with ctx.unit_of_work() as uow:
        member = await staff.find_by_email(uow.session, DEMO_ADMIN_EMAIL)
        if member is None:
            member, link = await staff.add_staff(uow, SYSTEM, DEMO_ADMIN_EMAIL, "Demo admin", "admin")
        elif member.password_hash is None and not member.disabled:
            link = await staff.issue_password_link(uow, SYSTEM, member)
        else:
            return None
        return link.read(member.id, ctx.settings.server.public_url).url
