"""Build the C extension of the Notify client core (libcurl + OpenSSL's libcrypto).

The GOV.UK Notify emulator is a distribution of its own (emulator/ in the repository,
govuk-notify-emulator); nothing of it is built here.

System libraries are found with pkg-config. When one is missing the build stops, names it
and gives the install command for Debian/Ubuntu, Fedora/RHEL, Alpine and macOS (Homebrew).
Prebuilt wheels (scripts/wheels, cibuildwheel) need none of this.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup

# pkg-config module -> the package with its development files, per system.
PACKAGES = {
    "pkg-config": {"apt": "pkg-config", "dnf": "pkgconf-pkg-config", "apk": "pkgconf", "brew": "pkgconf"},
    "libcurl": {"apt": "libcurl4-openssl-dev", "dnf": "libcurl-devel", "apk": "curl-dev", "brew": "curl"},
    "libcrypto": {"apt": "libssl-dev", "dnf": "openssl-devel", "apk": "openssl-dev", "brew": "openssl@3"},
}
# The compiler and Python's headers, which every source build also needs.
TOOLCHAIN = {
    "apt": "build-essential python3-dev",
    "dnf": "gcc python3-devel",
    "apk": "build-base python3-dev",
}


def install_hint(names: list[str]) -> str:
    """The install commands for the pkg-config modules `names` (and pkg-config itself)."""
    wanted = ["pkg-config", *(n for n in names if n != "pkg-config")]

    def pkgs(system: str) -> str:
        return " ".join(PACKAGES[n][system] for n in wanted)

    keg_only = [PACKAGES[n]["brew"] for n in wanted if n in ("libcurl", "libcrypto")]
    lines = [
        "Install the compiler and the development files, then build again:",
        f"  Debian/Ubuntu:  sudo apt-get install {TOOLCHAIN['apt']} {pkgs('apt')}",
        f"  Fedora/RHEL:    sudo dnf install {TOOLCHAIN['dnf']} {pkgs('dnf')}",
        f"  Alpine:         apk add {TOOLCHAIN['apk']} {pkgs('apk')}",
        f"  macOS:          brew install {pkgs('brew')}",
    ]
    if keg_only:
        path = ":".join(f"$(brew --prefix {p})/lib/pkgconfig" for p in keg_only)
        lines.append(f'                  export PKG_CONFIG_PATH="{path}"')
    lines.append("Or install a prebuilt wheel, which needs neither (see the README).")
    return "\n".join(lines)


def pkg_config(*modules: str) -> tuple[list[str], list[str]]:
    pkg_config_bin = os.environ.get("PKG_CONFIG", "pkg-config")
    missing = []
    for module in modules:
        try:
            subprocess.run([pkg_config_bin, "--exists", module], check=True, capture_output=True)
        except FileNotFoundError:
            sys.exit(f"error: pkg-config is not installed.\n{install_hint(['pkg-config', *modules])}")
        except subprocess.CalledProcessError:
            missing.append(module)
    if missing:
        sys.exit(
            f"error: pkg-config cannot find {', '.join(missing)} "
            f"(needed to build django-govuk-notify-outbox from source).\n{install_hint(missing)}"
        )

    def query(flag: str) -> list[str]:
        out = subprocess.run(
            [pkg_config_bin, flag, *modules], check=True, capture_output=True, text=True
        ).stdout
        return shlex.split(out)

    return query("--cflags"), query("--libs")


COMMON_CFLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-fvisibility=hidden"]
if os.environ.get("NGO_WERROR") == "1":
    COMMON_CFLAGS.append("-Werror")

ext_modules = []
if os.path.exists("csrc/binding/coremodule.c"):
    cflags, libs = pkg_config("libcurl", "libcrypto")
    ext_modules.append(
        Extension(
            "django_govuk_notify_outbox._core",
            sources=["csrc/binding/coremodule.c", *sorted(glob.glob("csrc/core/*.c"))],
            include_dirs=["csrc/core"],
            extra_compile_args=COMMON_CFLAGS + cflags,
            extra_link_args=libs,
            depends=glob.glob("csrc/core/*.h"),
        )
    )

setup(ext_modules=ext_modules)
