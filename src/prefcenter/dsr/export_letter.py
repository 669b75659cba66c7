"""The export's README: a letter in plain language that answers GDPR Art. 15(1) — why we hold the data
(purposes and their legal basis), who received it (the downstream systems), how long we keep it, and where
it came from — followed by the technical description of the files. ``write_letter`` is pure; ``letter_facts``
reads what the letter names (the topics' purposes, the downstream systems)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from prefcenter.store.models import Topic
from prefcenter.store.models_dsr import DownstreamSystem

LEGAL_BASIS = {
    "consent": "your consent (you can withdraw it at any time)",
    "contract": "our contract with you",
    "legal_obligation": "a legal obligation",
    "legitimate_interest": "our legitimate interest (you can object to it)",
    "vital_interest": "your vital interests",
    "public_task": "a task in the public interest",
}
SOURCE = {
    "web": "our website",
    "signup": "a sign-up form",
    "support": "our customer support",
    "account": "your account",
    "pos": "a shop",
    "email_link": "a link in an email from us",
    "sms": "a text message",
    "social": "social media",
    "import": "an import from another of our systems",
    "api": "one of our systems",
}


@dataclass(frozen=True)
class Purpose:
    name: str
    description: str
    legal_basis: str


@dataclass(frozen=True)
class LetterFacts:
    company: str
    purposes: list[Purpose]
    recipients: list[str]  # the downstream systems' names
    export_retention_days: int


async def letter_facts(session, document: dict, company: str, export_retention_seconds: int) -> LetterFacts:
    topics = {p["topic"] for p in document["preferences"]} | {c["topic"] for c in document["consents"]}
    topics.discard("*")
    purposes = []
    if topics:
        for topic in (
            await session.execute(select(Topic).where(Topic.key.in_(topics)).order_by(Topic.key))
        ).scalars():
            purposes.append(Purpose(topic.name, topic.description, topic.legal_basis))
    recipients = list(
        (await session.execute(select(DownstreamSystem.name).order_by(DownstreamSystem.name))).scalars()
    )
    return LetterFacts(company, purposes, recipients, export_retention_seconds // 86400)


def _sources(document: dict) -> list[str]:
    seen: list[str] = []
    for row in (*document["consents"], *document["events"]):
        touchpoint = row.get("touchpoint")
        if touchpoint and touchpoint not in seen:
            seen.append(touchpoint)
    return [SOURCE.get(t, t) for t in seen]


def write_letter(document: dict, facts: LetterFacts, technical: str) -> str:
    """The README: the letter, then ``technical`` (the schema of the files)."""
    subject = document["subject"]
    lines = [
        f"# Your data at {facts.company}",
        "",
        "Dear customer,",
        "",
        f"you asked {facts.company} for a copy of the personal data we hold about you (GDPR Art. 15). "
        "This folder holds all of it. This letter explains what it is, why we have it, who received it, "
        "how long we keep it and where it came from.",
        "",
        "## What we hold",
        "",
        f"- {len(document['identities'])} ways to reach you (email addresses, phone numbers, customer numbers)",
        f"- {len(document['preferences'])} choices about what we may send you and how",
        f"- {len(document['consents'])} consents you gave or withdrew, with the exact text you were shown",
        f"- {len(document.get('interactions', []))} contacts with us (calls, chats, visits)",
        f"- {len(document['events'])} entries in our log of every change to your data",
        f"- {len(document['dsr_requests'])} data protection requests you made",
        "",
        "## Why we hold it (purposes)",
        "",
    ]
    if facts.purposes:
        for p in facts.purposes:
            basis = LEGAL_BASIS.get(p.legal_basis, p.legal_basis)
            about = f": {p.description}" if p.description else ""
            lines.append(f"- **{p.name}**{about} (legal basis: {basis})")
    else:
        lines.append("- To know how you want us to contact you, and to prove that we respect your choices.")
    lines += [
        "- To keep a tamper-evident record of your choices, so that we can show we respected them "
        "(legal basis: a legal obligation to demonstrate consent, GDPR Art. 7(1)).",
        "",
        "## Who received it (recipients)",
        "",
    ]
    if facts.recipients:
        lines.append("Changes to your choices are passed on to these systems of ours, which act on them:")
        lines += [f"- {name}" for name in facts.recipients]
    else:
        lines.append("Nobody outside this service received your data.")
    lines += [
        "",
        "## How long we keep it",
        "",
        "We keep your data while you are our customer, or until you ask us to erase it. When we erase it, "
        "we keep only a one-way fingerprint of your addresses, so that we never add them again by mistake, "
        "and our log keeps that a change happened without your personal details.",
        f"This copy is kept for {facts.export_retention_days} days so that you can download it, then deleted.",
        "",
        "## Where it came from",
        "",
    ]
    sources = _sources(document)
    if sources:
        lines.append("You gave it to us yourself, through: " + ", ".join(sources) + ".")
    else:
        lines.append("You gave it to us yourself.")
    if subject.get("external_id"):
        lines.append(f"Your customer number with us: {subject['external_id']}.")
    lines += [
        "",
        "## Your rights",
        "",
        "You can ask us to correct your data, to erase it, to restrict its use, or object to its use, and "
        "you can complain to a data protection authority.",
        "",
        "## The files",
        "",
        "`export.json` holds everything; the `.csv` files hold the same, one table each, for a spreadsheet.",
        "",
        "```",
        technical.strip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)
