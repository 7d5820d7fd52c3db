"""A private PostgreSQL server for the tests: ``initdb`` + ``postgres`` in a temporary folder.

Each pytest process (each xdist worker) starts its own server on 127.0.0.1 and a free
port, with a throw-away data folder, so tests never share state with another run and a
restart test only restarts the server of its own worker. Nothing is installed or
configured system-wide: the binaries are Debian's (``/usr/lib/postgresql/N/bin``, from
``scripts/install.sh``) or whatever ``postgres`` is on ``PATH``.

* As root the server runs as the ``postgres`` user (``nobody`` if there is none):
  ``initdb`` refuses to run as root. ``setpriv`` (util-linux) drops the rights.
* ``--pdeathsig QUIT``: if pytest dies without running its finalizers (kill -9), the
  kernel sends SIGQUIT to the postmaster, which shuts down at once; the folder of a dead
  run is removed by the next run (its name carries the owning process id).
* Authentication is ``trust`` on loopback only; durability is off (``fsync``,
  ``synchronous_commit``, ``full_page_writes``): the data dies with the test run.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "texreport-test-pg-"
# Read once at import: some tests point TMPDIR at private folders while they run.
ROOT = Path(tempfile.gettempdir())
ROLE = "texreport"
DATABASE = "texreport"
START_SECONDS = 60.0
STOP_SECONDS = 30.0
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "200",
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the server did not start (the message says which)."""


def find_bindir() -> Path:
    """The newest Debian PostgreSQL ``bin`` folder, else the folder of ``postgres`` on PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                    key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)] or [0])
    if debian:
        return debian[-1].parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresUnavailable("the PostgreSQL server binaries are not installed: run scripts/install.sh "
                              "(Debian: apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_folders(root: Path) -> None:
    """Folders left by runs that were killed before their finalizers ran."""
    for folder in root.glob(f"{PREFIX}*"):
        match = re.match(rf"{PREFIX}(\d+)-", folder.name)
        if match and not _pid_alive(int(match.group(1))):
            shutil.rmtree(folder, ignore_errors=True)


def _run_as() -> pwd.struct_passwd | None:
    """The account the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable("running as root, and neither a 'postgres' nor a 'nobody' account exists")


@dataclass
class PrivateServer:
    """One server: ``start()`` once, ``restart()`` as often as needed, ``stop()`` at the end."""

    folder: Path
    bindir: Path
    account: pwd.struct_passwd | None
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of the test database."""
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log_path(self) -> Path:
        return self.folder / "postgres.log"

    def _command(self, program: str, *args: str, pdeathsig: bool = False) -> list[str]:
        wrapper = []
        if self.account is not None:
            wrapper += ["--reuid", str(self.account.pw_uid), "--regid", str(self.account.pw_gid), "--clear-groups"]
        if pdeathsig:
            wrapper += ["--pdeathsig", "QUIT"]
        binary = [str(self.bindir / program), *args]
        return ["setpriv", *wrapper, "--", *binary] if wrapper else binary

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(self.folder),
                "TZ": "UTC"}

    def initdb(self) -> None:
        data = self.folder / "data"
        result = subprocess.run(
            self._command("initdb", "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--locale=C", "-N"),
            cwd=self.folder, env=self._env(), stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {result.stderr.decode(errors='replace')[-1500:]}")

    def start(self) -> None:
        """Start on the current port (a fresh free one the first time); retried if the port was taken."""
        for attempt in range(3):
            if not self.port or attempt:
                self.port = _free_port()
            if self._start_once():
                return
        raise PostgresUnavailable(f"postgres did not start: {self._log_tail()}")

    def _start_once(self) -> bool:
        options = [arg for key, value in SETTINGS.items() for arg in ("-c", f"{key}={value}")]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self._command("postgres", "-D", str(self.folder / "data"), "-p", str(self.port),
                              "-k", str(self.folder), *options, pdeathsig=True),
                cwd=self.folder, env=self._env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        if self._wait_ready():
            return True
        self.stop()
        return False

    def _wait_ready(self) -> bool:
        import psycopg

        assert self.process is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                psycopg.connect(host="127.0.0.1", port=self.port, user=ROLE, dbname="postgres",
                                connect_timeout=2).close()
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)  # polling the server's start-up, bounded by the deadline
        return False

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=ROLE, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        """Fast shutdown (SIGINT: clients are disconnected, the server exits cleanly)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)

    def restart(self) -> None:
        """Stop and start again on the same port and data (what a restart does to clients)."""
        self.stop()
        if not self._start_once():
            raise PostgresUnavailable(f"postgres did not restart on port {self.port}: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-1500:]
        except OSError:
            return "(no log)"


def start_private_server() -> PrivateServer:
    """initdb in a new folder under the system temp folder, start, create the database."""
    remove_stale_folders(ROOT)
    bindir = find_bindir()
    account = _run_as()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=ROOT))
    server = PrivateServer(folder=folder, bindir=bindir, account=account)
    try:
        if account is not None:
            os.chown(folder, account.pw_uid, account.pw_gid)
        server.initdb()
        server.start()
        server.create_database()
    except BaseException:
        discard(server)
        raise
    return server


def discard(server: PrivateServer) -> None:
    """Stop the server and remove its folder."""
    try:
        server.stop()
    finally:
        shutil.rmtree(server.folder, ignore_errors=True)
