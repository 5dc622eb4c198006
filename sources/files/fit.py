"""FIT (Garmin, COROS, Polar, Suunto, Wahoo...): decoded with Garmin's official FIT SDK, CRC checked.

The session message gives the activity, lap messages the laps, file_id the device and the activity message the
device's local-time offset. Records (the per-second samples) stay in the kept file, which can be parsed again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sources.base import ActivityCopyValues, LapCopy
from sources.errors import FileRefused, Refusal
from sources.files.checks import finite
from sources.files.sports import sport_type

FIT_EPOCH_S = 631_065_600  # 1989-12-31T00:00:00Z: FIT timestamps count seconds from here
_CRC_SIZE = 2


def parse_fit(data: bytes) -> ActivityCopyValues:
    # Imported here, not at module level: the API process loads the SDK only once a file arrives.
    from garmin_fit_sdk import Decoder, Stream

    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    if not decoder.is_fit():
        raise FileRefused(Refusal.CORRUPT, "not a valid FIT file")
    if not decoder.check_integrity():
        raise _integrity_refusal(data)
    try:
        messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
            convert_datetimes_to_dates=True, convert_types_to_strings=True, merge_heart_rates=False
        )
    except Exception:  # the decoder on a hostile file: whatever breaks, the file is at fault
        raise FileRefused(Refusal.CORRUPT, "the FIT file cannot be decoded") from None
    if errors:
        raise FileRefused(Refusal.CORRUPT, "the FIT file cannot be decoded")
    sessions = messages.get("session_mesgs") or []
    if not sessions:
        raise FileRefused(Refusal.NO_ACTIVITY, "the FIT file holds no recorded activity")
    if len(sessions) > 1:
        raise FileRefused(Refusal.UNSUPPORTED, "multisport FIT files are not supported yet")
    return _values(dict(sessions[0]), dict(messages))


def _integrity_refusal(data: bytes) -> FileRefused:
    header_size, data_size = data[0], int.from_bytes(data[4:8], "little")
    if len(data) < header_size + data_size + _CRC_SIZE:
        return FileRefused(Refusal.TRUNCATED, "the FIT file is cut short")
    return FileRefused(Refusal.CORRUPT, "the FIT file is damaged (checksum mismatch)")


def _values(summary: dict[str, Any], messages: dict[str, Any]) -> ActivityCopyValues:
    """From the session message (the activity's summary; a "session" in FIT's words)."""
    start = _when(summary.get("start_time"), "start time")
    elapsed = finite(summary.get("total_elapsed_time"), "duration")
    timer = summary.get("total_timer_time")
    sport, indoor = sport_type(summary.get("sport"), summary.get("sub_sport"))
    return ActivityCopyValues(
        sport_type=sport,
        start=start,
        start_local=start.replace(tzinfo=None),
        timezone=None,
        elapsed_time_s=round(elapsed),
        moving_time_s=round(finite(timer, "timer time")) if timer is not None else round(elapsed),
        distance_m=finite(summary.get("total_distance") or 0.0, "distance"),
        elevation_gain_m=finite(summary.get("total_ascent") or 0.0, "elevation gain"),
        average_heartrate=summary.get("avg_heart_rate"),
        max_heartrate=summary.get("max_heart_rate"),
        laps=tuple(_lap(lap) for lap in messages.get("lap_mesgs") or ()),
        device=_device(messages.get("file_id_mesgs") or ()),
        trainer=indoor,
        utc_offset_s=_utc_offset(messages.get("activity_mesgs") or ()),
    )


def _lap(lap: dict[str, Any]) -> LapCopy:
    elapsed = finite(lap.get("total_elapsed_time") or 0.0, "lap time")
    timer = lap.get("total_timer_time")
    start = lap.get("start_time")
    return LapCopy(
        start=start if isinstance(start, datetime) else None,
        elapsed_time_s=round(elapsed),
        moving_time_s=round(finite(timer, "lap timer time")) if timer is not None else round(elapsed),
        distance_m=finite(lap.get("total_distance") or 0.0, "lap distance"),
        average_heartrate=lap.get("avg_heart_rate"),
        max_heartrate=lap.get("max_heart_rate"),
    )


def _when(value: object, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise FileRefused(Refusal.CORRUPT, f"the FIT file has no {what}")
    return value.astimezone(UTC)


def _device(file_ids: Any) -> str | None:
    if not file_ids:
        return None
    first = file_ids[0]
    maker = first.get("manufacturer")
    product = first.get("garmin_product") or first.get("product_name") or first.get("product")
    named = " ".join(str(part) for part in (maker, product) if part not in (None, ""))
    return named[:120] or None


def _utc_offset(activities: Any) -> int | None:
    """local_timestamp − timestamp of the activity message, rounded to a quarter hour (time zones are)."""
    if not activities:
        return None
    local, stamp = activities[0].get("local_timestamp"), activities[0].get("timestamp")
    if not isinstance(local, int) or not isinstance(stamp, datetime):
        return None
    offset = local - (int(stamp.timestamp()) - FIT_EPOCH_S)
    return round(offset / 900) * 900
