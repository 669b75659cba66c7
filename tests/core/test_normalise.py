import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefcenter.core.normalise import (
    IDENTITY_KINDS,
    InvalidIdentity,
    mask_identity,
    normalise_identity,
    parse_identity_ref,
    suppression_forms,
)


def test_kinds():
    assert IDENTITY_KINDS == ("email", "phone", "customer_id", "device_id")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Smith@Example.COM \n", "ann.smith@example.com"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
    ],
)
def test_email_ok(raw, expected):
    assert normalise_identity("email", raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "ann@ex@ample.com",
        "ann smith@example.com",
        "ann@example..com",
        "ann@.example.com",
        "ann@example.com.",
        "ann\x00@example.com",
        "a" * 250 + "@example.com",
    ],
)
def test_email_bad(raw):
    with pytest.raises(InvalidIdentity):
        normalise_identity("email", raw)


def test_email_max_length_boundary():
    local = "a" * (254 - len("@example.com"))
    assert normalise_identity("email", local + "@example.com") == local + "@example.com"
    with pytest.raises(InvalidIdentity, match="254"):
        normalise_identity("email", "a" + local + "@example.com")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+4915112345678", "+4915112345678"),
        ("+49 151 1234-5678", "+4915112345678"),
        ("0049 (151) 123.456.78", "+4915112345678"),
        ("+1 (555) 010-9999", "+15550109999"),
        (" +12345678 ", "+12345678"),
        ("+123456789012345", "+123456789012345"),
    ],
)
def test_phone_ok(raw, expected):
    assert normalise_identity("phone", raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "015112345678",  # national format, no country code
        "+0123456789",  # leading zero after +
        "+1234567",  # 7 digits
        "+1234567890123456",  # 16 digits
        "+49 151 abc",
        "++4915112345678",
        "+49/151/12345678",
    ],
)
def test_phone_bad(raw):
    with pytest.raises(InvalidIdentity):
        normalise_identity("phone", raw)


@pytest.mark.parametrize("kind", ["customer_id", "device_id"])
def test_opaque_ids(kind):
    assert normalise_identity(kind, "  C-123 ") == "C-123"
    assert normalise_identity(kind, "x" * 200) == "x" * 200
    for bad in ["", "   ", "x" * 201, "ab\ncd", "ab\x7fcd", "a\tb"]:
        with pytest.raises(InvalidIdentity):
            normalise_identity(kind, bad)


def test_unknown_kind_and_non_str():
    with pytest.raises(InvalidIdentity, match="unknown identity kind"):
        normalise_identity("fax", "123")
    with pytest.raises(InvalidIdentity):
        normalise_identity("email", None)  # type: ignore[arg-type]


def test_error_is_value_error_and_does_not_leak_value():
    with pytest.raises(ValueError) as info:
        normalise_identity("email", "secret-person-at-example.com")
    assert "secret-person" not in str(info.value)
    assert info.value.kind == "email"
    assert str(info.value)


def test_mask():
    assert mask_identity("email", "ann.smith@example.com") == "a***@e***.com"
    assert mask_identity("email", "a@b.co.uk") == "a***@b***.uk"
    assert mask_identity("phone", "+4915112345678") == "+49*******678"
    assert mask_identity("customer_id", "C-12345") == "C-***"
    assert mask_identity("device_id", "d") == "d***"


def test_parse_identity_ref():
    assert parse_identity_ref("email: Ann@Example.com") == ("email", "ann@example.com")
    assert parse_identity_ref("phone:0049 151 12345678") == ("phone", "+4915112345678")
    assert parse_identity_ref("customer_id:a:b") == ("customer_id", "a:b")
    for bad in ["ann@example.com", "fax:123", "email:nope", ""]:
        with pytest.raises(InvalidIdentity):
            parse_identity_ref(bad)


@given(st.emails())
def test_email_normalisation_idempotent(email):
    try:
        once = normalise_identity("email", email)
    except InvalidIdentity:
        return
    assert normalise_identity("email", once) == once
    assert normalise_identity("email", "  " + email.upper() + " ") == once


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_phone_valid_roundtrip(phone):
    assert normalise_identity("phone", phone) == phone
    assert normalise_identity("phone", "00" + phone[1:]) == phone
    spaced = " ".join(phone[i : i + 3] for i in range(0, len(phone), 3))
    assert normalise_identity("phone", spaced) == phone


@given(st.sampled_from(IDENTITY_KINDS), st.text(max_size=300))
def test_normalise_never_crashes_and_is_idempotent(kind, value):
    try:
        once = normalise_identity(kind, value)
    except InvalidIdentity:
        return
    assert normalise_identity(kind, once) == once
    assert mask_identity(kind, once)


# --- lookalikes: NFKC, invisible format characters, IDNA domains -----------------------------------------


def fullwidth(text: str) -> str:
    """The fullwidth lookalike of printable ASCII (U+FF01..U+FF5E)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("erase.me@ｅｘａｍｐｌｅ.com", "erase.me@example.com"),
        ("ＥＲＡＳＥ．ＭＥ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "erase.me@example.com"),
        ("ann@bücher.de", "ann@xn--bcher-kva.de"),
        ("Ann@BÜCHER.DE", "ann@xn--bcher-kva.de"),
        ("ann@xn--bcher-kva.de", "ann@xn--bcher-kva.de"),
        ("ann@bu\u0308cher.de", "ann@xn--bcher-kva.de"),  # combining diaeresis: composed by NFKC
        ("ﬁona@example.com", "fiona@example.com"),  # the "fi" ligature
    ],
)
def test_email_lookalikes_have_one_form(raw, expected):
    assert normalise_identity("email", raw) == expected


def test_phone_and_opaque_lookalikes_have_one_form():
    assert normalise_identity("phone", "＋４９ １５１ ２３４５６７８") == "+491512345678"
    assert normalise_identity("customer_id", "ＣＵＳＴ－００１") == "CUST-001"


@pytest.mark.parametrize("kind", IDENTITY_KINDS)
@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u00ad", "\u200d", "\u200c", "\u200e", "\u202e", "\u2060", "\ufeff"]
)
def test_invisible_format_characters_are_refused(kind, invisible):
    plain = {"email": "ann@example.com", "phone": "+491512345678"}.get(kind, "ABC-123")
    with pytest.raises(InvalidIdentity, match="invisible") as caught:
        normalise_identity(kind, plain[:3] + invisible + plain[3:])
    assert plain not in str(caught.value)


def test_a_domain_idna_refuses_is_refused_without_the_value():
    with pytest.raises(InvalidIdentity, match="internationalised domain") as caught:
        normalise_identity("email", "ann@büch_er.de")
    assert "büch" not in str(caught.value)


def test_suppression_forms_add_the_legacy_form_only_where_it_differs():
    assert suppression_forms("email", "ann@example.com") == ("ann@example.com",)
    assert suppression_forms("email", "ann@ｅｘａｍｐｌｅ.com") == (
        "ann@example.com",
        "ann@ｅｘａｍｐｌｅ.com",
    )
    assert suppression_forms("email", "ann@bücher.de") == ("ann@xn--bcher-kva.de", "ann@bücher.de")
    with pytest.raises(InvalidIdentity):
        suppression_forms("email", "ann\u200b@example.com")


_ascii_printable = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@given(st.emails())
def test_a_fullwidth_email_is_the_email(email):
    try:
        plain = normalise_identity("email", email)
    except InvalidIdentity:
        return
    assert normalise_identity("email", fullwidth(email)) == plain


@given(st.sampled_from(("customer_id", "device_id")), _ascii_printable)
def test_a_fullwidth_opaque_id_is_the_id(kind, value):
    assert normalise_identity(kind, fullwidth(value)) == normalise_identity(kind, value)


@given(st.sampled_from(IDENTITY_KINDS), st.text(max_size=120))
def test_normalised_forms_are_nfkc_without_format_characters_and_stable(kind, value):
    try:
        normalised = normalise_identity(kind, value)
    except InvalidIdentity:
        return
    assert unicodedata.is_normalized("NFKC", normalised)
    assert not any(unicodedata.category(ch) == "Cf" for ch in normalised)
    assert normalise_identity(kind, normalised) == normalised
    assert normalise_identity(kind, unicodedata.normalize("NFKC", value)) == normalised


@given(
    st.sampled_from(IDENTITY_KINDS),
    st.text(max_size=60),
    st.sampled_from(["\u200b", "\u00ad", "\u200d", "\u2066"]),
)
def test_any_value_with_an_invisible_character_is_refused(kind, value, invisible):
    with pytest.raises(InvalidIdentity):
        normalise_identity(kind, value + invisible)


@given(st.emails())
def test_an_email_domain_is_ascii_after_normalisation(email):
    try:
        normalised = normalise_identity("email", email)
    except InvalidIdentity:
        return
    assert normalised.rpartition("@")[2].isascii()
