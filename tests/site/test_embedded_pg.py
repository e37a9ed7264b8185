"""The development server's port: chosen once per data folder and recorded there, so that two
checkouts on one machine do not clash (nothing here starts a server)."""

import contextlib
import socket
from pathlib import Path

from meijia.embedded_pg import (
    DEVELOPMENT_PORT,
    PORT_FILE,
    PORT_SPREAD,
    development_port,
    development_server,
)


def test_a_new_folder_gets_a_free_port_derived_from_its_path():
    # Two checkouts (folders that do not exist yet: nothing is created by asking).
    first, second = Path("/home/a/meijia/.pgdata"), Path("/home/b/meijia/.pgdata")

    port = development_port(first)

    assert DEVELOPMENT_PORT <= port < DEVELOPMENT_PORT + PORT_SPREAD
    assert development_port(first) == port  # the same folder, the same port
    # Another checkout's folder gets another port (these two paths derive 54329 + 225 and + 723).
    assert development_port(second) != port


def test_a_taken_port_is_passed_over(tmp_path):
    folder = tmp_path / ".pgdata"
    wanted = development_port(folder)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", wanted))
        taken.listen()
        port = development_port(folder)
    assert port != wanted
    assert DEVELOPMENT_PORT <= port < DEVELOPMENT_PORT + PORT_SPREAD


def test_the_recorded_port_is_kept_even_when_busy(tmp_path, monkeypatch):
    folder = tmp_path / ".pgdata"
    folder.mkdir()
    (folder / PORT_FILE).write_text("54400\n")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as running:
        # Its own server listening there is the usual reason for the port to be busy.
        with contextlib.suppress(OSError):
            running.bind(("127.0.0.1", 54400))
        assert development_port(folder) == 54400
    monkeypatch.setenv("MEIJIA_PGDATA", str(folder))
    monkeypatch.delenv("MEIJIA_PGPORT", raising=False)
    assert development_server().port == 54400
    monkeypatch.setenv("MEIJIA_PGPORT", "55999")
    assert development_server().port == 55999


def test_a_folder_made_before_ports_were_recorded_keeps_the_old_port(tmp_path):
    folder = tmp_path / ".pgdata"
    folder.mkdir()
    (folder / "PG_VERSION").write_text("18\n")
    assert development_port(folder) == DEVELOPMENT_PORT
