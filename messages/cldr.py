"""The CLDR English the catalogue says numbers, units and dates in, and the few CLDR rules that apply it.

A copy of exactly the CLDR data ``Audience`` uses (Unicode's Common Locale Data Repository, as Babel ships
it): the number symbols and patterns and the short unit patterns of "en", the day and month names and the
day-span format of "en_GB". With it no process loads Babel's locale data, a part of each process's memory
that counted against its goal (README "Performance"). tests/unit/messages/test_cldr.py keeps the copy equal
to Babel's data, and every formatter's output equal to Babel's own for the same value, pattern and locale;
after a Babel upgrade that changes CLDR, that test names the entries to copy again.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

NUMBER_LOCALE = "en"  # numbers and units ("1 hr 30 min", where en_GB says "mins")
DATE_LOCALE = "en_GB"  # the day before the month ("Tue 24 Nov", "7–13 Dec"), a 24-hour clock

DECIMAL_SYMBOL = "."
GROUP_SYMBOL = ","
PERCENT_SIGN = "%"
MINUS_SIGN = "-"
INFINITY = "∞"
NAN = "NaN"
GROUP_SIZE = 3  # "#,##0": thousands grouped by three

# Short unit patterns; English says a unit the same after one and after any other count ("1 hr", "2 hr").
UNIT_PATTERNS = {
    "length-kilometer": "{0} km",
    "length-mile": "{0} mi",
    "length-meter": "{0} m",
    "duration-hour": "{0} hr",
    "duration-minute": "{0} min",
    "duration-second": "{0} sec",
}

# Format-context names, Monday first (date.weekday()) and January first.
DAYS_ABBREVIATED = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAYS_WIDE = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_ABBREVIATED = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec")
MONTHS_WIDE = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# A span of days, skeleton "MMMd": the pattern of each end by the largest field that differs, the single-day
# pattern, and the fallback when no listed field differs. CLDR puts thin spaces around the dash.
DAY_SPAN_SKELETON = "MMMd"
DAY_SPAN_SINGLE = "d MMM"
DAY_SPAN_BY_FIELD = {
    "M": ("d MMM\u2009–\u2009", "d MMM"),
    "d": ("d\u2009–\u2009", "d MMM"),
}
DAY_SPAN_FALLBACK = "{0}\u2009–\u2009{1}"


# --- numbers ---------------------------------------------------------------------------------------------


def decimal(value: float, max_fraction: int, *, grouping: bool = True, scale: int = 0) -> str:
    """``value`` as CLDR's pattern "#,##0.#" (``max_fraction`` optional decimals; "0" without ``grouping``)
    says it: the number as written (its shortest repr), times 10**``scale``, rounded half to even, trailing
    zeros dropped, the sign kept when it rounds to zero ("-0"), as Babel's ``NumberPattern.apply`` does."""
    exact = Decimal(str(value)).scaleb(scale)
    sign = MINUS_SIGN if exact.is_signed() else ""
    if exact.is_infinite():
        return sign + INFINITY
    if exact.is_nan():
        return NAN
    rounded = abs(exact).normalize().quantize(Decimal(1).scaleb(-max_fraction), rounding=ROUND_HALF_EVEN)
    whole, _, fraction = f"{rounded:f}".partition(".")
    fraction = fraction.rstrip("0")
    return sign + (_grouped(whole) if grouping else whole) + (DECIMAL_SYMBOL + fraction if fraction else "")


def _grouped(digits: str) -> str:
    groups: list[str] = []
    while len(digits) > GROUP_SIZE:
        groups.insert(0, digits[-GROUP_SIZE:])
        digits = digits[:-GROUP_SIZE]
    return GROUP_SYMBOL.join([digits, *groups])


def percent(share: float, max_fraction: int) -> str:
    """A fraction as "#,##0%" (``max_fraction`` 0) or "#,##0.#%" (1) says it: 0.784 → "78%"."""
    return decimal(share, max_fraction, scale=2) + PERCENT_SIGN


def unit(count: str, unit_id: str) -> str:
    """A formatted count with its short unit: "10 km"."""
    return UNIT_PATTERNS[unit_id].format(count)


# --- dates ----------------------------------------------------------------------------------------------


def date_pattern(pattern: str, day: date | None) -> str:
    """``day`` in a CLDR date pattern made of the fields used here ("EEE d MMM", "EEEE d MMMM y"); any
    character that is not an ASCII letter is literal. A field this copy has no data or rule for is refused
    rather than guessed. No day reads as today, as Babel's ``format_date`` reads it."""
    day = date.today() if day is None else day
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        width = len(pattern[i:]) - len(pattern[i:].lstrip(char))
        out.append(
            _date_field(char, width, day) if char.isascii() and char.isalpha() else pattern[i : i + width]
        )
        i += width
    return "".join(out)


def _date_field(char: str, width: int, day: date) -> str:
    if char == "d" and width <= 2:
        return f"{day.day:0{width}d}"
    if char == "M" and width <= 4:
        if width >= 3:
            return (MONTHS_WIDE if width == 4 else MONTHS_ABBREVIATED)[day.month - 1]
        return f"{day.month:0{width}d}"
    if char == "E" and width <= 4:
        return (DAYS_WIDE if width == 4 else DAYS_ABBREVIATED)[day.weekday()]
    if char == "y":
        return f"{day.year % 100:02d}" if width == 2 else f"{day.year:0{width}d}"
    raise ValueError(f"date field {char * width!r} is not in the copied CLDR data")


def clock(hour: int, minute: int) -> str:
    """A time of day as "HH:mm": "07:05"."""
    return f"{hour:02d}:{minute:02d}"


def day_span(start: date, end: date) -> str:
    """Two days as CLDR's interval format for "MMMd" says them: "7 – 13 Dec", "30 Nov – 6 Dec"; one day when
    they are the same ("5 Dec"). The largest field that differs picks the pattern (month, then day)."""
    if start == end:
        return date_pattern(DAY_SPAN_SINGLE, start)
    for field, differs in (("M", start.month != end.month), ("d", start.day != end.day)):
        if differs:
            first, second = DAY_SPAN_BY_FIELD[field]
            return date_pattern(first, start) + date_pattern(second, end)
    # The same day and month of different years: one day when both read the same, as CLDR's fallback does.
    first, second = date_pattern(DAY_SPAN_SINGLE, start), date_pattern(DAY_SPAN_SINGLE, end)
    return first if first == second else DAY_SPAN_FALLBACK.replace("{0}", first).replace("{1}", second)
