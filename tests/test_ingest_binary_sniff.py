"""What the format sniff takes for text and what for binary: a NUL inside a text field is text
(Python's csv module reads it), an office document or archive renamed .csv is not."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from analytics.ingest.files import kind
from analytics.ingest.report import IngestError

HEADER = "BilledCost,ChargeDescription,ServiceName\n"


def test_a_csv_with_a_nul_character_inside_a_field_is_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes((HEADER + "1.5,before\x00after,Compute\n" * 3).encode())
    assert kind(path) == "csv"


def test_a_zip_archive_of_plain_text_renamed_csv_is_refused_as_binary(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("sheet.csv", HEADER + "1.5,plain text,Compute\n" * 200)
    path = tmp_path / "export.csv"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(IngestError, match="binary content"):
        kind(path)


def test_utf16_text_without_a_byte_order_mark_is_not_taken_for_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes((HEADER + "1.5,text,Compute\n").encode("utf-16-le"))
    with pytest.raises(IngestError, match="binary content"):
        kind(path)
