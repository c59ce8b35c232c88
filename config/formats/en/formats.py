"""One way to write dates and times on every page (and in the admin): "29 Nov 2026, 18:34".

Django's English formats read "Nov. 29, 2026, 6:34 p.m." and a template that adds its own
full stop after it shows two; the pages and the admin all use these instead.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
