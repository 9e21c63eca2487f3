"""The legacy CUR manifest (`<report>-Manifest.json`) AWS delivers beside the data files: it gives the
billing period and the column list, which the loader uses when the data file lacks them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from analytics.ingest.report import IngestReport


@dataclass(frozen=True)
class Manifest:
    path: Path
    period_start: dt.datetime | None
    period_end: dt.datetime | None
    columns: tuple[str, ...]  # `category/name`, as in the CSV header


def find(data_file: Path, report: IngestReport) -> Manifest | None:
    """The manifest that lists this file among its report keys, in its folder or the one above (AWS
    puts the manifest at the period folder and the data in an assembly folder below it); when the
    only manifest there lists no keys it is taken as describing the folder."""
    name = data_file.name
    folders = dict.fromkeys([data_file.parent, data_file.parent.parent])
    candidates = [path for folder in folders for path in sorted(folder.glob("*-Manifest.json"))]
    for path in candidates:
        content = _read(path, report)
        if content is None:
            continue
        listed = content.get("reportKeys")
        keys = listed if isinstance(listed, list) else []
        if any(str(key).rsplit("/", 1)[-1] == name for key in keys) or (not keys and len(candidates) == 1):
            return _parse(path, content, report)
    return None


def superseded_by(data_file: Path, report: IngestReport) -> Path | None:
    """The period's manifest, when it lists the current delivery's files and this is not one of them.
    AWS keeps every earlier delivery of a month in its own assembly folder beside the current one;
    loading them all would count the month several times."""
    period_folder = data_file.parent.parent
    for path in sorted(period_folder.glob("*-Manifest.json")):
        content = _read(path, report)
        listed = content.get("reportKeys") if content else None
        keys = [str(key) for key in listed] if isinstance(listed, list) else []
        # Only a manifest whose keys point into assembly folders of this very period folder.
        assemblies = [key for key in keys if key.split("/")[-3:-2] == [period_folder.name]]
        mine = f"{period_folder.name}/{data_file.parent.name}/{data_file.name}"
        if assemblies and not any(key.endswith(mine) for key in assemblies):
            return path
    return None


def _read(path: Path, report: IngestReport) -> dict[str, object] | None:
    try:
        content = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.warn(f"manifest {path.name} ignored: not readable JSON ({exc})")
        return None
    if not isinstance(content, dict):
        report.warn(f"manifest {path.name} ignored: not a CUR manifest")
        return None
    return content


def _parse(path: Path, content: dict[str, object], report: IngestReport) -> Manifest:
    period = content.get("billingPeriod")
    start = end = None
    if isinstance(period, dict):
        start, end = _time(period.get("start")), _time(period.get("end"))
        if (period.get("start") or period.get("end")) and (start is None or end is None):
            report.warn(f"manifest {path.name}: billing period {period!r} not readable, not used")
            start = end = None
    columns: list[str] = []
    listed = content.get("columns")
    for column in listed if isinstance(listed, list) else []:
        if isinstance(column, dict) and column.get("category") and column.get("name"):
            columns.append(f"{column['category']}/{column['name']}")
    return Manifest(path, start, end, tuple(columns))


def _time(value: object) -> dt.datetime | None:
    """Manifest times are written `20231101T000000.000Z`; ISO 8601 is accepted as well."""
    if not isinstance(value, str):
        return None
    for layout in ("%Y%m%dT%H%M%S.%fZ", "%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(value, layout)
        except ValueError:
            continue
    return None
