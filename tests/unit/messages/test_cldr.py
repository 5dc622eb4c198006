"""messages/cldr.py is a copy of Babel's CLDR data with the few rules that apply it: the copy equals Babel's
data, and every number, unit and date an Audience says reads exactly as Babel formats the same value with the
same pattern and locale (what the catalogue called before the copy)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel import Locale
from babel.dates import format_date, format_interval, format_time
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit
from hypothesis import given, settings
from hypothesis import strategies as st

from messages import cldr
from messages.audience import Audience, Units

NUMBERS = Locale.parse(cldr.NUMBER_LOCALE)
DATES = Locale.parse(cldr.DATE_LOCALE)
READERS = (Audience(Units.METRIC, "Europe/London"), Audience(Units.IMPERIAL, "America/Los_Angeles"))
# Values where rounding half to even, the decimal text of a float and grouping decide the result.
EDGES = (
    0.0, -0.0, 0.04, 0.05, 0.15, 0.25, 0.35, 0.45, 1.0, 1.05, 2.25, 2.35, 9.95, 9.96, 99.95, 999.95, 1000.0,
    1234.5, 1234.56, 999_999.95, 1e7, 12_345_678.25, -0.04, -0.05, -1.25, -1234.5, 1e-7, 6.2137, 26.21875,
    float("inf"), float("-inf"),
)  # fmt: skip
SHARES = (
    0.0,
    0.0005,
    0.00049,
    0.00051,
    0.0015,
    0.0024,
    0.0025,
    0.005,
    0.0949,
    0.095,
    0.125,
    0.784,
    0.785,
    1.0,
)


def test_the_copy_is_babels_cldr_data() -> None:
    symbols = NUMBERS.number_symbols[NUMBERS.default_numbering_system]
    assert (symbols["decimal"], symbols["group"], symbols["percentSign"], symbols["minusSign"]) == (
        cldr.DECIMAL_SYMBOL, cldr.GROUP_SYMBOL, cldr.PERCENT_SIGN, cldr.MINUS_SIGN,
    )  # fmt: skip
    assert (symbols["infinity"], symbols["nan"]) == (cldr.INFINITY, cldr.NAN)
    assert NUMBERS.decimal_formats[None].grouping == (cldr.GROUP_SIZE, cldr.GROUP_SIZE)
    for unit_id, pattern in cldr.UNIT_PATTERNS.items():
        short = NUMBERS._data["unit_patterns"][unit_id]["short"]
        # One pattern per unit holds only while English says the unit the same after any count.
        assert (short["one"], short["other"]) == (pattern, pattern), unit_id
    assert tuple(DATES.days["format"]["abbreviated"][d] for d in range(7)) == cldr.DAYS_ABBREVIATED
    assert tuple(DATES.days["format"]["wide"][d] for d in range(7)) == cldr.DAYS_WIDE
    assert tuple(DATES.months["format"]["abbreviated"][m] for m in range(1, 13)) == cldr.MONTHS_ABBREVIATED
    assert tuple(DATES.months["format"]["wide"][m] for m in range(1, 13)) == cldr.MONTHS_WIDE
    span = DATES.interval_formats[cldr.DAY_SPAN_SKELETON]
    assert {field: tuple(span[field]) for field in span} == cldr.DAY_SPAN_BY_FIELD
    assert DATES.interval_formats[None] == cldr.DAY_SPAN_FALLBACK
    assert DATES.datetime_skeletons[cldr.DAY_SPAN_SKELETON].pattern == cldr.DAY_SPAN_SINGLE


@pytest.mark.parametrize("value", EDGES)
def test_numbers_round_and_group_as_babel_does(value: float) -> None:
    assert cldr.decimal(value, 1) == format_decimal(value, "#,##0.#", locale=NUMBERS)
    assert cldr.decimal(value, 3) == format_decimal(value, locale=NUMBERS)
    if abs(value) != float("inf"):
        assert cldr.decimal(round(value), 0, grouping=False) == format_decimal(
            round(value), "0", locale=NUMBERS
        )


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False) | st.integers(-(10**9), 10**9))
def test_any_number_reads_as_babel_formats_it(value: float) -> None:
    assert cldr.decimal(value, 1) == format_decimal(value, "#,##0.#", locale=NUMBERS)
    assert cldr.decimal(value, 3) == format_decimal(value, locale=NUMBERS)
    assert cldr.percent(value / 1000, 1) == format_percent(value / 1000, "#,##0.#%", locale=NUMBERS)


@pytest.mark.parametrize("share", SHARES + tuple(-s for s in SHARES))
def test_percentages_read_as_babel_formats_them(share: float) -> None:
    assert cldr.percent(share, 0) == format_percent(share, "#,##0%", locale=NUMBERS)
    assert cldr.percent(share, 1) == format_percent(share, "#,##0.#%", locale=NUMBERS)
    for reader in READERS:
        small = 0 < abs(share) < 0.095
        assert reader.percent(share) == format_percent(
            share, "#,##0.#%" if small else "#,##0%", locale=NUMBERS
        )


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.units.value)
def test_distances_and_counts_read_as_babel_formats_them(reader: Audience) -> None:
    unit = "length-mile" if reader.units is Units.IMPERIAL else "length-kilometer"
    for metres in [*range(0, 5000, 7), *range(5000, 200_000, 997), 1609.344, 21_097.5, 42_195.0, 1e7]:
        value = float(metres) / reader.unit_metres
        assert reader.distance(metres) == format_unit(
            value, unit, length="short", format="#,##0.#", locale=NUMBERS
        )
        assert reader.number(value) == format_decimal(value, "#,##0.#", locale=NUMBERS)
    for metres in range(0, 2001):
        said = reader.rep_distance(float(metres))
        if said.endswith(" m"):
            assert said == format_unit(metres, "length-meter", length="short", format="0", locale=NUMBERS)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.units.value)
def test_durations_read_as_babel_formats_them(reader: Audience) -> None:
    def babel_duration(seconds: float) -> str:  # Audience.duration as it was written with Babel
        if seconds < 60:
            return format_unit(round(seconds), "duration-second", length="short", locale=NUMBERS)
        hours, minutes = divmod(round(seconds / 60), 60)
        parts = [format_unit(hours, "duration-hour", length="short", locale=NUMBERS)] if hours else []
        if minutes or not hours:
            parts.append(format_unit(minutes, "duration-minute", length="short", locale=NUMBERS))
        return " ".join(parts)

    for seconds in [*range(0, 4000), *range(4000, 400_000, 173), 29.5, 59.6, 89.5, 3599.5, 5_000_000.0]:
        assert reader.duration(seconds) == babel_duration(seconds)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.units.value)
def test_days_and_spans_read_as_babel_formats_them(reader: Audience) -> None:
    first = date(2024, 12, 20)
    for offset in range(0, 3 * 366, 3):
        day = first + timedelta(days=offset)
        assert reader.day(day) == format_date(day, "EEE d MMM", locale=DATES)
        assert reader.day_month(day) == format_date(day, "d MMM", locale=DATES)
        assert reader.long_day(day) == format_date(day, "EEEE d MMMM y", locale=DATES)
        for length in (0, 1, 6, 13, 40, -6, 365, 366, 730):
            end = day + timedelta(days=length)
            assert reader.day_span(day, end) == format_interval(day, end, "dMMM", locale=DATES), (day, end)


def test_times_of_day_read_as_babel_formats_them() -> None:
    reader = READERS[0]
    for minute in range(0, 24 * 60, 7):
        instant = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=minute)
        local = instant.astimezone(reader.zone)
        assert reader.time(instant) == format_time(time(local.hour, local.minute), "HH:mm", locale=DATES)


def test_a_date_field_without_copied_data_is_refused() -> None:
    with pytest.raises(ValueError, match="EEEEE"):
        cldr.date_pattern("EEEEE d", date(2026, 11, 24))
    with pytest.raises(ValueError, match="h"):
        cldr.date_pattern("h:mm", date(2026, 11, 24))


def test_no_day_reads_as_today_as_babel_reads_it() -> None:
    reader = READERS[0]
    before = format_date(None, "EEE d MMM", locale=DATES)
    said = reader.day(None)  # type: ignore[arg-type]  # a caller's missing day, as templates may pass it
    assert said in {before, format_date(None, "EEE d MMM", locale=DATES)}  # either side of a midnight
