"""Synthetic activity files (FIT, GPX, TCX) of a described run: for the tests, the benches and the demo.

A FIT file is written with Garmin's FIT SDK encoder, GPX and TCX as the text their schemas describe; each
records a point every `every_s` seconds along a straight line, at an even pace and heart rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sources.files.formats import FileFormat

_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class RunSpec:
    start: datetime  # aware
    elapsed_s: int
    distance_m: float
    heart_rate: int = 150
    laps: int = 1
    sport: str = "running"  # FIT's sport name; GPX and TCX get their own spelling
    indoor: bool = False  # a treadmill: no positions
    every_s: int = 5
    utc_offset_s: int = 7200  # FIT only: the device's local time
    device_product: int = 4315  # FIT: a Garmin product number
    name: str = "Morning Run"
    lat: float = 52.37
    lon: float = 4.89

    def samples(self) -> list[tuple[datetime, float]]:
        """(time, distance so far) every `every_s` seconds, the last at the end."""
        steps = list(range(0, self.elapsed_s, self.every_s)) + [self.elapsed_s]
        return [(self.start + timedelta(seconds=t), self.distance_m * t / self.elapsed_s) for t in steps]

    def position(self, distance: float) -> tuple[float, float]:
        return self.lat, self.lon + distance / (_METRES_PER_DEGREE * math.cos(math.radians(self.lat)))


def activity_file(spec: RunSpec, fmt: FileFormat) -> bytes:
    return {FileFormat.FIT: fit_file, FileFormat.GPX: gpx_file, FileFormat.TCX: tcx_file}[fmt](spec)


def fit_file(spec: RunSpec) -> bytes:
    from garmin_fit_sdk import Encoder, Profile

    numbers = Profile["mesg_num"]
    end = spec.start + timedelta(seconds=spec.elapsed_s)
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": numbers["FILE_ID"],
            "type": "activity",
            "manufacturer": "garmin",
            "product": spec.device_product,
            "time_created": spec.start,
            "serial_number": 1234567,
        }
    )
    for when, distance in spec.samples():
        encoder.write_mesg(
            {
                "mesg_num": numbers["RECORD"],
                "timestamp": when,
                "distance": distance,
                "heart_rate": spec.heart_rate,
            }
        )
    for index in range(spec.laps):
        encoder.write_mesg({"mesg_num": numbers["LAP"], **_lap_fields(spec, index)})
    sub_sport = "treadmill" if spec.indoor else "generic"
    encoder.write_mesg(
        {
            "mesg_num": numbers["SESSION"],
            "timestamp": end,
            "start_time": spec.start,
            "total_elapsed_time": float(spec.elapsed_s),
            "total_timer_time": float(spec.elapsed_s),
            "total_distance": spec.distance_m,
            "sport": spec.sport,
            "sub_sport": sub_sport,
            "avg_heart_rate": spec.heart_rate,
            "max_heart_rate": spec.heart_rate + 15,
            "num_laps": spec.laps,
        }
    )
    fit_seconds = int(end.timestamp()) - 631_065_600
    encoder.write_mesg(
        {
            "mesg_num": numbers["ACTIVITY"],
            "timestamp": end,
            "local_timestamp": fit_seconds + spec.utc_offset_s,
            "num_sessions": 1,
            "total_timer_time": float(spec.elapsed_s),
        }
    )
    return bytes(encoder.close())


def _lap_fields(spec: RunSpec, index: int) -> dict[str, object]:
    lap_s = spec.elapsed_s / spec.laps
    start = spec.start + timedelta(seconds=index * lap_s)
    return {
        "timestamp": start + timedelta(seconds=lap_s),
        "start_time": start,
        "total_elapsed_time": lap_s,
        "total_timer_time": lap_s,
        "total_distance": spec.distance_m / spec.laps,
        "avg_heart_rate": spec.heart_rate,
        "max_heart_rate": spec.heart_rate + 10,
    }


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gpx_file(spec: RunSpec) -> bytes:
    points = []
    for when, distance in spec.samples():
        lat, lon = spec.position(distance)
        points.append(
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>2.0</ele><time>{_iso(when)}</time>'
            f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{spec.heart_rate}</gpxtpx:hr>"
            "</gpxtpx:TrackPointExtension></extensions></trkpt>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx creator="RunSmart synthetic" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<metadata><time>{_iso(spec.start)}</time></metadata>"
        f"<trk><name>{spec.name}</name><type>{spec.sport}</type><trkseg>{''.join(points)}</trkseg></trk></gpx>"
    ).encode()


def tcx_file(spec: RunSpec) -> bytes:
    samples = spec.samples()
    lap_s = spec.elapsed_s / spec.laps
    laps = []
    for index in range(spec.laps):
        lap_start = spec.start + timedelta(seconds=index * lap_s)
        lap_end = lap_start + timedelta(seconds=lap_s)
        inside = [(w, d) for w, d in samples if lap_start <= w <= lap_end]
        laps.append(
            f'<Lap StartTime="{_iso(lap_start)}"><TotalTimeSeconds>{lap_s:.1f}</TotalTimeSeconds>'
            f"<DistanceMeters>{spec.distance_m / spec.laps:.1f}</DistanceMeters><Calories>0</Calories>"
            f"<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod>"
            f"<Track>{''.join(_trackpoint(spec, w, d) for w, d in inside)}</Track></Lap>"
        )
    sport = {"running": "Running", "cycling": "Biking"}.get(spec.sport, "Other")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        f'<Activities><Activity Sport="{sport}"><Id>{_iso(spec.start)}</Id>{"".join(laps)}'
        '<Creator xsi:type="Device_t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<Name>Forerunner 965</Name></Creator></Activity></Activities>"
        '<Author xsi:type="Application_t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<Name>RunSmart synthetic</Name></Author></TrainingCenterDatabase>"
    ).encode()


def _trackpoint(spec: RunSpec, when: datetime, distance: float) -> str:
    position = ""
    if not spec.indoor:
        lat, lon = spec.position(distance)
        position = f"<Position><LatitudeDegrees>{lat:.7f}</LatitudeDegrees><LongitudeDegrees>{lon:.7f}</LongitudeDegrees></Position>"
    return (
        f"<Trackpoint><Time>{_iso(when)}</Time>{position}<AltitudeMeters>2.0</AltitudeMeters>"
        f"<DistanceMeters>{distance:.1f}</DistanceMeters>"
        f"<HeartRateBpm><Value>{spec.heart_rate}</Value></HeartRateBpm></Trackpoint>"
    )
