"""Choosing the customer's language for the texts the server writes (pure)."""

from __future__ import annotations

import pytest

from prefcenter import i18n


@pytest.mark.parametrize(
    ("preferred", "header", "expected"),
    [
        (None, None, "en"),
        (None, "", "en"),
        (None, "de", "de"),
        (None, "de-AT", "de"),
        (None, "fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        (None, "en;q=0.3, es;q=0.9", "es"),
        (None, "ja, zh;q=0.9", "en"),  # nothing supported: English
        (None, "it, de;q=0.1", "de"),
        (None, "de;q=0, fr;q=0.2", "fr"),  # q=0 means "not this one"
        (None, "de;q=abc, es", "es"),
        ("es", "de", "es"),  # the subject's own language wins
        ("pt", "de", "de"),  # unless it is not one we speak
        ("FR", None, "fr"),
    ],
)
def test_pick_locale(preferred, header, expected):
    assert i18n.pick_locale(preferred, header) == expected


def test_every_language_has_every_text_with_the_same_placeholders():
    import string

    def fields(s: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(s) if name}

    english = i18n.TEXTS["en"]
    for locale in i18n.LOCALES:
        assert i18n.TEXTS[locale].keys() == english.keys(), locale
        for key, value in i18n.TEXTS[locale].items():
            assert fields(value) == fields(english[key]), (locale, key)


def test_an_unknown_locale_falls_back_to_english():
    assert i18n.text("xx", "thanks_heading") == "Thank you"
