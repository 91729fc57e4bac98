"""English: "2 Dec 2026" and "2 Dec 2026, 21:28" (day first, never the US numeric 12/02/2026),
everywhere a date or a moment is shown."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
