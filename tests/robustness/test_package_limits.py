"""A workbook file's zip is checked before any reader inflates it: a zip bomb and an XML
value of many megabytes are refused with one line (exit 2), a large honest part is read."""

import zipfile
from pathlib import Path

import pytest

from lfi_xl.adapters.files import package
from lfi_xl.cli import main

ROOT = Path(__file__).resolve().parents[2]
KPI = ROOT / "workbooks" / "template_kpi.xlsx"
MB = 1 << 20


def with_part(tmp_path: Path, name: str, data: bytes) -> Path:
    """The KPI template with one more part (a custom XML part no reader parses)."""
    path = tmp_path / "kpi.xlsx"
    with zipfile.ZipFile(KPI) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr(name, data)
    return path


def printed(capsys) -> str:
    out, err = capsys.readouterr()
    return " ".join((out + err).split())


def xml_with_value(size: int, at: int = 0) -> bytes:
    """An XML part holding one text value of ``size`` bytes, starting ``at`` bytes in."""
    padding = b"<a/>" * (at // 4)
    return b"<root>" + padding + b"<t>" + b"x" * size + b"</t></root>"


@pytest.mark.parametrize("at", [0, MB - 7, 3 * MB + 5])  # chunks of 1 MB: runs across them
def test_a_value_over_the_limit_is_refused_wherever_it_starts(tmp_path, capsys, at):
    path = with_part(tmp_path, "customXml/item9.xml",
                     xml_with_value(package.MAX_TOKEN_BYTES + 1, at))
    assert main(["validate", str(path)]) == 2
    said = printed(capsys)
    assert "customXml/item9.xml holds a single XML value of over 8 MB" in said
    assert "Traceback" not in said


def test_a_value_just_under_the_limit_is_read(tmp_path):
    path = with_part(tmp_path, "customXml/item9.xml",
                     xml_with_value(package.MAX_TOKEN_BYTES - 1, MB - 3))
    package.check_workbook_file(path)  # no exception


def test_the_longest_run_is_followed_across_chunks():
    longest, since = package._longest_token(b"ab<cd>" + b"x" * 10, 0, 0)
    assert (longest, since) == (10, 10)
    longest, since = package._longest_token(b"y" * 5, longest, since)
    assert (longest, since) == (15, 15)
    longest, since = package._longest_token(b"zz>" + b"w" * 3 + b"<", longest, since)
    assert (longest, since) == (17, 0)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, capsys):
    # 40 MB of zeros packs to about 40 KB: over the 100:1 ratio allowed above 16 MB
    path = with_part(tmp_path, "customXml/item9.xml", b"\0" * (40 * MB))
    assert main(["validate", str(path)]) == 2
    said = printed(capsys)
    assert "customXml/item9.xml unpacks to" in said and "a zip bomb?" in said
