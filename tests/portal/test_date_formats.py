"""One date style and one date-and-time style per language, on every page that shows one:
Spanish "2 dic. 2026" / "2 dic. 2026, 21:28" (months in lower case), English "2 Dec 2026" /
"2 Dec 2026, 21:28" (never the US 12/02/2026)."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

MOMENT = datetime(2026, 12, 3, 2, 28, tzinfo=UTC)  # 2 Dec 2026, 21:28 in Guayaquil


def render(source: str, **context) -> str:
    return Template("{% load money %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [("es", "2 dic. 2026", "2 dic. 2026, 21:28"), ("en", "2 Dec 2026", "2 Dec 2026, 21:28")],
)
def test_dates_and_moments_have_one_style_per_language(language, day, moment):
    with translation.override(language), timezone.override("America/Guayaquil"):
        assert render("{{ d|day }}", d=date(2026, 12, 2)) == day
        assert render('{{ m|date:"DATE_FORMAT" }}', m=MOMENT) == day
        assert render("{{ m|day }}", m=MOMENT) == day  # a moment shown as its local day
        assert render('{{ m|date:"DATETIME_FORMAT" }}', m=MOMENT) == moment
        assert render('{{ m|date:"SHORT_DATETIME_FORMAT" }}', m=MOMENT) == moment
        assert render('{{ m|date:"SHORT_DATE_FORMAT" }}', m=MOMENT) == day


def test_spanish_month_abbreviations_are_lower_case_all_year():
    with translation.override("es"):
        months = [render("{{ d|day }}", d=date(2026, m, 1)).split()[1] for m in range(1, 13)]
    assert months == [
        "ene.", "feb.", "mar.", "abr.", "may.", "jun.",
        "jul.", "ago.", "sep.", "oct.", "nov.", "dic.",
    ]  # fmt: skip
