"""Phones as SmartISP holds them, read in PHONE_REGION and written as E.164."""

import pytest

from messaging.phones import phone_e164, phone_tail


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0991234567", "+593991234567"),  # the sandbox's and SmartISP's usual national form
        ("099 123 4567", "+593991234567"),
        ("0965432109", "+593965432109"),  # a mobile range phonenumbers does not list yet
        ("+593 99 123 4567", "+593991234567"),
        ("593991234567", "+593991234567"),  # the country code without its plus
        (991234567, "+593991234567"),  # SmartISP may send it as a JSON number, zero lost
        ("022345678", "+59322345678"),  # a Quito landline is still a number (SMS will say no)
        ("12", ""),
        ("no tiene", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_phone_is_read_in_the_region_and_written_as_e164(settings, raw, e164):
    settings.PHONE_REGION = "EC"
    assert phone_e164(raw) == e164


def test_region_setting_reads_national_numbers_of_another_country(settings):
    settings.PHONE_REGION = "PE"
    assert phone_e164("912 345 678") == "+51912345678"


def test_tail_is_the_last_two_digits_only():
    assert phone_tail("+593991234567") == "67"
    assert phone_tail("") == ""
