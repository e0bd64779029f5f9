"""The repaired wheel installs and sends on a Linux with no compiler and no -dev packages.

scripts/wheels builds the wheel and repairs it with auditwheel (libcurl, OpenSSL and their
dependencies copied in under a manylinux tag). This test makes a minimal Debian with
debootstrap (python3 and python3-venv only: no compiler, no headers), installs the wheel
there offline, and from inside it sends one email through the outbox to the emulator,
which runs outside the chroot on loopback.

The chroot is cached (NGO_CHROOT_CACHE, default /var/cache/django-govuk-notify-outbox/)
and made again once older than NGO_CHROOT_MAX_AGE_DAYS (default 30). It needs root and
debootstrap, as the test command has.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govuk_notify_emulator import TEMPLATE_PLAIN, NotifyEmulator
from tests.e2e.helpers import ROOT

pytestmark = pytest.mark.slow

SUITE = "bookworm"  # Debian 12: its python3 is 3.11, the Python the wheel is built for here
CACHE = Path(os.environ.get("NGO_CHROOT_CACHE", "/var/cache/django-govuk-notify-outbox"))
MAX_AGE_DAYS = float(os.environ.get("NGO_CHROOT_MAX_AGE_DAYS", "30"))

SEND = """
import django, sys
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                    "django_govuk_notify_outbox"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/outbox.sqlite3"}},
    USE_TZ=True,
    GOVUK_NOTIFY_API_KEY=sys.argv[1],
    GOVUK_NOTIFY_BASE_URL=sys.argv[2],
)
django.setup()
from django.core.management import call_command
from django_govuk_notify_outbox.utils import send_email_notification
import django_govuk_notify_outbox._core as core
print("core:", core.__file__)
call_command("migrate", verbosity=0)
send_email_notification("chroot@example.com", sys.argv[3], reference="from-the-chroot")
call_command("notify_outbox_sync")
"""


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (NGO_DEBIAN_MIRROR overrides it)."""
    if os.environ.get("NGO_DEBIAN_MIRROR"):
        return os.environ["NGO_DEBIAN_MIRROR"]
    texts = [p.read_text() for p in Path("/etc/apt").glob("sources.list.d/*.sources")]
    for text in texts:
        for stanza in text.split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.MULTILINE)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.MULTILINE)
            if uris and suites and SUITE in suites.group(1).split():
                return uris.group(1)
    sources = Path("/etc/apt/sources.list")
    if sources.exists():
        match = re.search(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", sources.read_text(), re.M)
        if match:
            return match.group(1)
    pytest.fail("no Debian mirror for bookworm in /etc/apt (set NGO_DEBIAN_MIRROR)")


def minimal_debian() -> Path:
    """A debootstrapped minimal Debian with python3 and python3-venv, cached."""
    target = CACHE / f"chroot-{SUITE}"
    stamp = target / ".made"
    if stamp.exists() and time.time() - stamp.stat().st_mtime < MAX_AGE_DAYS * 86400:
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=python3,python3-venv", SUITE,
         str(target), debian_mirror()],
        check=True, capture_output=True, timeout=1200,
    )  # fmt: skip
    stamp.touch()
    return target


def in_chroot(root: Path, *cmd: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    return subprocess.run(
        [chroot, str(root), *cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8"},
    )


@pytest.mark.skipif(sys.platform != "linux", reason="a Linux wheel")
def test_the_repaired_wheel_sends_an_email_from_a_debian_without_a_compiler(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        pytest.skip("needs root and debootstrap (scripts/test installs it)")
    if sys.version_info[:2] != (3, 11):
        pytest.skip("the wheel is built for the Python of the test run; bookworm has 3.11")

    dist = tmp_path / "dist"
    subprocess.run(
        [str(ROOT / "scripts" / "wheels")],
        check=True,
        capture_output=True,
        env={**os.environ, "DIST_DIR": str(dist), "PY": sys.executable},
        timeout=900,
    )
    (wheel,) = dist.glob("django_govuk_notify_outbox-*-manylinux*.whl")
    # Only libcurl, OpenSSL and their dependencies: nothing of the emulator.
    listing = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True
    ).stdout
    vendored = re.findall(r"django_govuk_notify_outbox\.libs/(lib[^-/]+)", listing)
    assert "libcurl" in vendored
    assert "libcrypto" in vendored
    assert not {"libmicrohttpd", "libjansson"} & set(vendored)

    root = minimal_debian()
    for tool in ("gcc", "cc", "clang", "x86_64-linux-gnu-gcc"):
        assert not (root / "usr" / "bin" / tool).exists(), f"the chroot has {tool}"
    assert not (root / "usr" / "include" / "curl").exists()
    assert not (root / "usr" / "include" / "python3.11").exists()

    # The wheel and its pure-Python dependencies, fetched here: the install runs offline.
    work = root / "opt" / "ngo-test"
    shutil.rmtree(work, ignore_errors=True)
    (work / "wheels").mkdir(parents=True)
    shutil.copy(wheel, work / "wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d",
         str(work / "wheels"), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (work / "send.py").write_text(SEND)
    try:
        venv = in_chroot(root, "/usr/bin/python3", "-m", "venv", "/opt/ngo-test/venv")
        assert venv.returncode == 0, venv.stderr
        install = in_chroot(
            root, "/opt/ngo-test/venv/bin/pip", "install", "-q", "--no-index", "--find-links",
            "/opt/ngo-test/wheels", "django-govuk-notify-outbox",
        )  # fmt: skip
        assert install.returncode == 0, install.stdout + install.stderr

        with NotifyEmulator() as notify:
            sent = in_chroot(
                root, "/opt/ngo-test/venv/bin/python", "/opt/ngo-test/send.py",
                notify.api_key, notify.base_url, TEMPLATE_PLAIN, timeout=120,
            )  # fmt: skip
            assert sent.returncode == 0, sent.stdout + sent.stderr
            assert "core: /opt/ngo-test/venv/lib/python3.11/site-packages/" in sent.stdout
            (stored,) = notify.notifications()
            assert stored["email_address"] == "chroot@example.com"
            assert stored["reference"] == "from-the-chroot"
    finally:
        shutil.rmtree(work, ignore_errors=True)
