"""The Debian package: built with scripts/package.sh from a build directory, installed on this
machine with dpkg, checked, and removed (then purged) cleanly. Needs root (dpkg -i); run by
tests/package/run.sh."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = os.environ.get("SPOKE_PACKAGE_BUILD_DIR", str(ROOT / "build"))
FILES = ["/usr/bin/spoke-server", "/lib/systemd/system/spoke.service",
         "/lib/systemd/system/spoke.socket", "/lib/systemd/system/spoke-health.socket",
         "/etc/spoke/spoke.env", "/usr/lib/spoke/spoke-check.sh",
         "/usr/share/doc/spoke/deployment.md", "/usr/share/doc/spoke/examples/nginx/spoke.conf",
         "/usr/share/doc/spoke/examples/prometheus/alerts.yml",
         "/usr/share/doc/spoke/examples/grafana/spoke.json", "/usr/lib/spoke/backup",
         "/usr/lib/spoke/restore", "/usr/lib/spoke/backup-common.sh",
         "/lib/systemd/system/spoke-backup.service", "/lib/systemd/system/spoke-backup.timer"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="dpkg -i needs root")


def run(*argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, f"{argv}: {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    if run("dpkg-query", "-W", "spoke", check=False).returncode == 0:
        pytest.fail("a spoke package is already installed here; remove it first (dpkg --purge spoke)")
    dist = tmp_path_factory.mktemp("dist")
    out = run(str(ROOT / "scripts" / "package.sh"), str(dist), BUILD).stdout.split()
    path = Path(out[-1])
    assert path.name.startswith("spoke_") and path.name.endswith("_amd64.deb"), out
    yield path
    run("dpkg", "--purge", "spoke", check=False)


def test_install_check_and_remove(deb):
    info = run("dpkg-deb", "--field", str(deb), "Package", "Version", "Depends").stdout
    assert "Package: spoke" in info and "libprotobuf32" in info, info
    assert run("dpkg-deb", "--ctrl-tarfile", str(deb)).returncode == 0

    run("dpkg", "-i", str(deb))
    for f in FILES:
        assert Path(f).exists(), f
    version = run("/usr/bin/spoke-server", "--version").stdout
    assert version.startswith("spoke-server "), version
    assert deb.name.split("_")[1] in version
    # The service's user, its data directory, and settings that it (only) may read.
    assert run("getent", "passwd", "spoke").stdout.startswith("spoke:")
    data = os.stat("/var/lib/spoke")
    assert data.st_uid == int(run("id", "-u", "spoke").stdout) and oct(data.st_mode)[-3:] == "750"
    env = os.stat("/etc/spoke/spoke.env")
    assert oct(env.st_mode)[-3:] == "640"
    assert "/etc/spoke/spoke.env" in run("dpkg-query", "--control-show", "spoke", "conffiles").stdout
    # The installed units are the ones systemd's checker accepts (ExecStart exists now).
    r = run("systemd-analyze", "verify", "/lib/systemd/system/spoke.service", check=False)
    assert r.returncode == 0, r.stderr

    # A local edit of the conffile survives a reinstall (dpkg keeps it).
    with open("/etc/spoke/spoke.env", "a") as f:
        f.write("SPOKE_LOG_LEVEL=debug\n")
    run("dpkg", "-i", "--force-confold", str(deb))
    assert "SPOKE_LOG_LEVEL=debug" in Path("/etc/spoke/spoke.env").read_text()

    run("dpkg", "--remove", "spoke")
    assert not Path("/usr/bin/spoke-server").exists()
    assert Path("/etc/spoke/spoke.env").exists(), "remove keeps conffiles; purge deletes them"
    run("dpkg", "--purge", "spoke")
    assert not Path("/etc/spoke").exists()
    assert run("dpkg-query", "-W", "spoke", check=False).returncode != 0
    # The registry's data stays (postrm): never deleted by a package manager.
    assert Path("/var/lib/spoke").is_dir()
