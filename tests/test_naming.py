import re
from urllib.parse import unquote

import pytest

from texreport.naming import content_disposition, export_filename, is_safe_session_id


@pytest.mark.parametrize("session_id, safe", [
    ("a1b2c3d4e5f6g7h8", True),
    ("a1b2c3d4-e5f6-4789-g0h1-i2j3k4l5m6n7", True),
    ("../etc/passwd", False),
    ("abc%00", False),
    ("abc\r\nSet-Cookie: x", False),
    ("x" * 128, True),
    ("x" * 129, False),
    ("", False),
    ("-leading-dash", False),
    ("模拟", False),
])
def test_session_id_safety(session_id, safe):
    assert is_safe_session_id(session_id) is safe


def test_export_filename_refuses_unsafe_ids():
    with pytest.raises(ValueError):
        export_filename("../x")


def test_content_disposition_decodes_as_the_api_page_does():
    header = content_disposition("a1b2c3d4e5f6g7h8")
    # The page's JavaScript: contentDisposition.match(/filename\*=UTF-8''(.+)/) then decodeURIComponent.
    match = re.search(r"filename\*=UTF-8''(.+)", header)
    assert match and unquote(match.group(1)) == "模拟面试报告_a1b2c3d4e5f6g7h8.pdf"
    assert header.startswith('attachment; filename="interview-report-a1b2c3d4e5f6g7h8.pdf"; ')
    assert header.isascii()
