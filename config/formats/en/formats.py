"""English: 04 Dec 2026 and 04 Dec 2026 13:00.

The month as a word (no reader takes 04/12 for April or December the wrong way round) and the
24-hour clock the authority works by (never "noon" or "1 p.m.").
"""

DATE_FORMAT = "d M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "d M Y H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
