"""`texreport serve` configuration: every option from the command line or a TEXREPORT_* variable, one README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("fastapi")

from texreport import cli
from texreport.http import server
from texreport.http.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def captured(monkeypatch) -> dict:
    """What `serve` would run, without running it."""
    seen: dict = {}

    def fake_run_server(settings: Settings, *, host: str, port: int, header_timeout: float) -> None:
        seen.update(settings=settings, host=host, port=port, header_timeout=header_timeout)

    monkeypatch.setattr(server, "run_server", fake_run_server)
    return seen


ENVIRONMENT = {
    "TEXREPORT_HOST": "0.0.0.0",
    "TEXREPORT_PORT": "9099",
    "TEXREPORT_DB": "postgresql://u@db/texreport",
    "TEXREPORT_MAX_COMPILES": "3",
    "TEXREPORT_QUEUE": "7",
    "TEXREPORT_CORS_ORIGINS": "http://localhost:5173 https://app.example",
    "TEXREPORT_COMPILE_TIMEOUT": "45",
    "TEXREPORT_MAX_BODY": "65536",
    "TEXREPORT_HEADER_TIMEOUT": "4.5",
    "TEXREPORT_LEASE_SECONDS": "12",
    "TEXREPORT_WARM": "false",
}


def test_every_serve_option_reads_its_environment_variable(captured):
    result = CliRunner().invoke(cli.cli, ["serve"], env=ENVIRONMENT, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    settings = captured["settings"]
    assert (captured["host"], captured["port"], captured["header_timeout"]) == ("0.0.0.0", 9099, 4.5)
    assert settings == Settings(db_url="postgresql://u@db/texreport", max_compiles=3, max_queue=7,
                                cors_origins=("http://localhost:5173", "https://app.example"), compile_timeout=45.0,
                                max_body_bytes=65536, lease_seconds=12.0, warm_workers=False)


def test_options_win_over_variables_and_defaults_hold_without_either(captured):
    result = CliRunner().invoke(cli.cli, ["serve", "--port", "8111", "--cors-origin", "https://one.example"],
                                env={"TEXREPORT_PORT": "9099", "TEXREPORT_CORS_ORIGINS": "https://two.example"})
    assert result.exit_code == 0, result.output
    assert captured["port"] == 8111 and captured["settings"].cors_origins == ("https://one.example",)
    result = CliRunner().invoke(cli.cli, ["serve"], env={name: None for name in ENVIRONMENT})
    assert result.exit_code == 0, result.output
    assert captured["settings"] == Settings() and (captured["host"], captured["port"]) == ("127.0.0.1", 8080)


def test_a_bad_variable_is_a_usage_error_naming_it(captured):
    result = CliRunner().invoke(cli.cli, ["serve"], env={"TEXREPORT_PORT": "eighty"})
    assert result.exit_code == 2 and ("TEXREPORT_PORT" in result.output or "--port" in result.output)
    assert captured == {}


def test_the_readme_table_documents_every_serve_option():
    section = README.read_text(encoding="utf-8").split("### Configuration", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `--")]
    documented = {(re.search(r"`(--[a-z-]+)", row).group(1), re.search(r"`(TEXREPORT_[A-Z_]+)`", row).group(1))
                  for row in rows}
    command = cli.cli.commands["serve"]
    declared = {(param.opts[0], param.envvar) for param in command.params if param.opts[0].startswith("--")
                and param.name != "help"}
    assert documented == declared
