"""The units in systemd/: systemd's own checker accepts them, their sandbox exposure stays low,
and the settings the server relies on agree with the server (socket names, stop timeout)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ["spoke.service", "spoke.socket", "spoke-health.socket", "spoke-backup.service",
         "spoke-backup.timer"]
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is installed by scripts/install-deps.sh --test")


def units_in(tmp_path, spoke_bin, edit=None):
    """Copies of the units with ExecStart pointing at the built server and the backup script in
    the tree (verify checks they exist)."""
    for name in UNITS:
        text = (ROOT / "systemd" / name).read_text()
        text = text.replace("ExecStart=/usr/bin/spoke-server", f"ExecStart={spoke_bin}")
        text = text.replace("ExecStart=/usr/lib/spoke/backup", f"ExecStart={ROOT}/scripts/backup")
        if edit:
            text = edit(name, text)
        (tmp_path / name).write_text(text)
    return [str(tmp_path / name) for name in UNITS]


def verify(paths):
    return subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True,
                          timeout=60)


def settings(name):
    out = {}
    for line in (ROOT / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def test_systemd_analyze_verify_accepts_the_units(tmp_path, spoke_bin):
    r = verify(units_in(tmp_path, spoke_bin))
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_verify_would_catch_a_broken_unit(tmp_path, spoke_bin):
    # The check above can fail: a misspelt key in the service is reported.
    r = verify(units_in(tmp_path, spoke_bin,
                        lambda n, t: t.replace("NoNewPrivileges=", "NoNewPrivilege=")))
    assert "Unknown key" in r.stderr and "NoNewPrivilege" in r.stderr, r.stderr


def test_security_exposure_is_low(tmp_path, spoke_bin):
    paths = units_in(tmp_path, spoke_bin)
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", paths[0]],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for spoke\.service: (\d+\.\d+)", r.stdout)
    assert m, r.stdout + r.stderr
    print(f"systemd-analyze security: exposure {m.group(1)}")
    assert float(m.group(1)) <= MAX_EXPOSURE, r.stdout


def test_the_units_agree_with_the_server():
    service = settings("spoke.service")
    assert service["Type"] == ["notify"] and service["NotifyAccess"] == ["main"]
    assert service["Sockets"] == ["spoke.socket spoke-health.socket"]
    # spoke-server matches its sockets by these names (server/socket_activation.cpp).
    assert settings("spoke.socket")["FileDescriptorName"] == ["api"]
    assert settings("spoke-health.socket")["FileDescriptorName"] == ["health"]
    # The drain (SPOKE_SHUTDOWN_TIMEOUT, 30s by default) must end before systemd's SIGKILL.
    stop = int(service["TimeoutStopSec"][0].rstrip("s"))
    assert stop > 30
    # Never left down for good after a burst of crashes.
    assert service["StartLimitIntervalSec"] == ["0"] and service["Restart"] == ["on-failure"]


def test_the_backup_unit_runs_the_packaged_script_on_a_timer():
    backup = settings("spoke-backup.service")
    assert backup["Type"] == ["oneshot"] and backup["User"] == ["spoke"]
    assert backup["ExecStart"][0].startswith("/usr/lib/spoke/backup --keep ")
    assert settings("spoke-backup.timer")["OnCalendar"] == ["hourly"]
    packaging = (ROOT / "cmake" / "Packaging.cmake").read_text()
    for name in ("scripts/backup", "scripts/restore", "scripts/backup-common.sh",
                 "systemd/spoke-backup.service", "systemd/spoke-backup.timer"):
        assert name in packaging, name
