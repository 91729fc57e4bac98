"""Spanish: "2 dic. 2026" and "2 dic. 2026, 21:28" (month abbreviations in lower case, as the RAE
writes them), everywhere a date or a moment is shown."""

DATE_FORMAT = "j b. Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j b. Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j b."
