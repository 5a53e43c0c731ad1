"""One date format in every language: ISO dates (2026-11-30) and 24-hour times.

Pages used to mix Django's per-language defaults ("Sept. 29, 2026", "2026年9月29日") with
hard-coded "Y-m-d" on the same screen; and the browser's date input only accepts ISO, so a
form rendering "2026/11/30" (Django's first zh-hans input format) came up empty. Both
languages' format modules star-import this one.
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"
# ISO first: widgets render a date with the first input format.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
