"""The Django x Python matrix: the outbox tests (SQLite, not the slow ones) for every pair
below, each in its own environment with the package and the emulator installed from wheels.

    nox -s matrix                           # every pair, one after another
    nox -s "matrix-3.13(django='6.1')"      # one pair
    scripts/test runs the pairs three at a time.

The wheels are built once per Python and source tree (build/wheels/<python>/<hash>/) and
reused by every Django of that Python. The pairs are exactly what pyproject.toml's
classifiers and Django requirement claim; Python 3.11 runs the whole suite in .venv.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"

# (Python, Django): each Django on the oldest and newest Python it supports here.
PAIRS = [
    ("3.10", "4.2"),
    ("3.12", "4.2"),
    ("3.10", "5.2"),
    ("3.13", "5.2"),
    ("3.12", "6.0"),
    ("3.13", "6.0"),
    ("3.12", "6.1"),
    ("3.13", "6.1"),
]
TEST_REQUIREMENTS = ["pytest>=8", "pytest-django>=4.8", "pytest-timeout>=2.3", "celery>=5.3",
                     "redis>=5", "hypothesis>=6.100", "prometheus_client>=0.20",
                     "opentelemetry-api>=1.20", "opentelemetry-sdk>=1.20",
                     "notifications-python-client==13.0.0"]  # fmt: skip
# What the wheels are built from: a change to any of it builds them again.
SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "csrc/core", "csrc/binding", "src",
           "emulator/pyproject.toml", "emulator/setup.py", "emulator/csrc",
           "emulator/src"]  # fmt: skip

nox.options.sessions = ["matrix"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


def interpreter(version: str) -> str:
    """The pyenv interpreter of that minor version (newest patch), else python3.X on PATH."""
    found = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
    return str(found[-1]) if found else f"python{version}"


def source_hash() -> str:
    digest = hashlib.sha1()
    for name in SOURCES:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if f.suffix in {".so", ".o", ".pyc"} or "egg-info" in str(f):
                continue
            digest.update(str(f.relative_to(ROOT)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def wheels(session: nox.Session, version: str) -> list[str]:
    """The package's and the emulator's wheels for this Python, built once and then
    reused. One build at a time, whatever the Python: sessions run at once, and every
    build writes the source tree's build/ and egg-info directories."""
    out = ROOT / "build" / "wheels" / version / source_hash()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "done").exists():
            shutil.rmtree(out.parent, ignore_errors=True)
            out.mkdir(parents=True)
            builder = out / "venv"
            subprocess.run([interpreter(version), "-m", "venv", str(builder)], check=True)
            py = str(builder / "bin" / "python")
            quiet = ["-q", "--disable-pip-version-check"]
            subprocess.run([py, "-m", "pip", "install", *quiet, "setuptools>=77", "wheel"],
                           check=True)  # fmt: skip
            for project in (ROOT / "emulator", ROOT):
                subprocess.run(
                    [py, "-m", "pip", "wheel", *quiet, "--no-deps", "--no-build-isolation",
                     "-w", str(out), str(project)],
                    check=True,
                    env={**os.environ, "NGO_WERROR": "1"},
                )  # fmt: skip
            shutil.rmtree(builder)
            (out / "done").touch()
    return sorted(str(p) for p in out.glob("*.whl"))


@nox.session(python=False)
@nox.parametrize(("python", "django"), PAIRS, ids=[f"{p}-django{d}" for p, d in PAIRS])
def matrix(session: nox.Session, python: str, django: str) -> None:
    """tests/outbox on SQLite with one Django on one Python."""
    env_dir = ROOT / ".nox" / f"py{python}-django{django}"
    py = env_dir / "bin" / "python"
    if not py.exists():
        session.run(interpreter(python), "-m", "venv", str(env_dir), external=True)
    built = wheels(session, python)
    session.run(
        str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
        "--force-reinstall", "--no-deps", *built, external=True,
    )  # fmt: skip
    session.run(
        str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
        f"Django=={django}.*", *TEST_REQUIREMENTS, external=True,
    )  # fmt: skip
    session.run(str(py), "-c", "import django; print('Django', django.get_version())",
                external=True)  # fmt: skip
    # From a directory without src/ on the path, so the installed wheels are what is tested.
    session.run(
        str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
        "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(ROOT / "tests/outbox"),
        *session.posargs, external=True, env={"NGO_TEST_DB": "sqlite", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
