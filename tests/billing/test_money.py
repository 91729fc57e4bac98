"""Money, dates and rates written the way the active language writes them (DESIGN.md section 8)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from billing.templatetags.money import day, money, percent


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("es", Decimal("21.51"), "$21,51"),
        ("en", Decimal("21.51"), "$21.51"),
        ("es", Decimal("330"), "$330,00"),
        ("en", Decimal("330.00"), "$330.00"),
        ("es", Decimal("0"), "$0,00"),
        ("en", "18.7", "$18.70"),
    ],
)
def test_money_has_its_sign_and_two_decimals_in_the_active_language(language, value, shown):
    with translation.override(language):
        assert money(value) == shown


def test_money_rounds_half_up_instead_of_cutting_decimals():
    with translation.override("en"):
        assert money(Decimal("2.805")) == "$2.81"
        assert money(Decimal("2.804")) == "$2.80"


def test_negative_money_puts_the_minus_before_the_dollar():
    with translation.override("es"):
        assert money(Decimal("-1.39")) == "-$1,39"


def test_money_of_nothing_or_garbage_is_empty():
    assert money(None) == ""
    assert money("") == ""
    assert money("n/a") == ""


def test_day_names_the_month_in_the_active_language():
    with translation.override("es"):
        assert day(date(2024, 1, 21)) == "21 ene. 2024"
    with translation.override("en"):
        assert day(date(2024, 1, 21)) == "21 Jan 2024"


def test_missing_day_is_a_dash():
    assert day(None) == "—"


def test_percent_shows_decimals_only_when_the_rate_has_them():
    with translation.override("es"):
        assert percent(Decimal("15.00")) == "15 %"
        assert percent(Decimal("12.50")) == "12,5 %"
    with translation.override("en"):
        assert percent(Decimal("0.00")) == "0 %"
