import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefcenter.core.normalise import (
    IDENTITY_KINDS,
    InvalidIdentity,
    mask_identity,
    normalise_identity,
    parse_identity_ref,
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
        "+４９１５１１２３４５６７８",  # full-width digits are not ASCII digits
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
