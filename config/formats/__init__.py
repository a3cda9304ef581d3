"""Date and time formats of the staff languages (``FORMAT_MODULE_PATH``).

Django's own locale formats differ by kind of value and by page: the admin's list showed a
date as "June 4, 2026", a date and time as "Feb. 12, 2027, noon", and our templates wrote
"04.12.2026 13:00". Here each language has one date format and one date-and-time format, and
every name Django formats with (``DATE_FORMAT``, ``SHORT_DATE_FORMAT``, ``DATETIME_FORMAT``,
``SHORT_DATETIME_FORMAT``) is set to them, so any page, list or template filter prints the
same. What is not set here (input formats, first day of week, number separators) stays
Django's for the language.
"""
