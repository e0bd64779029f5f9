"""Build the GOV.UK Notify emulator's C extension (csrc/ beside this file).

It links libmicrohttpd, jansson, libcurl (delivery-receipt callbacks), OpenSSL's libcrypto
and libidn2, found with pkg-config. When one is missing the build stops, names it and
gives the install command for Debian/Ubuntu, Fedora/RHEL, Alpine and macOS (Homebrew).
The sources are self-contained: nothing outside this directory is compiled.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup

MODULES = ("libmicrohttpd", "jansson", "libcurl", "libcrypto", "libidn2")

# pkg-config module -> the package with its development files, per system.
PACKAGES = {
    "pkg-config": {"apt": "pkg-config", "dnf": "pkgconf-pkg-config", "apk": "pkgconf", "brew": "pkgconf"},
    "libmicrohttpd": {"apt": "libmicrohttpd-dev", "dnf": "libmicrohttpd-devel", "apk": "libmicrohttpd-dev", "brew": "libmicrohttpd"},
    "jansson": {"apt": "libjansson-dev", "dnf": "jansson-devel", "apk": "jansson-dev", "brew": "jansson"},
    "libcurl": {"apt": "libcurl4-openssl-dev", "dnf": "libcurl-devel", "apk": "curl-dev", "brew": "curl"},
    "libcrypto": {"apt": "libssl-dev", "dnf": "openssl-devel", "apk": "openssl-dev", "brew": "openssl@3"},
    "libidn2": {"apt": "libidn2-dev", "dnf": "libidn2-devel", "apk": "libidn2-dev", "brew": "libidn2"},
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
    lines.append("Or install a prebuilt wheel, which needs neither.")
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
            f"(needed to build govuk-notify-emulator from source).\n{install_hint(missing)}"
        )

    def query(flag: str) -> list[str]:
        out = subprocess.run(
            [pkg_config_bin, flag, *modules], check=True, capture_output=True, text=True
        ).stdout
        return shlex.split(out)

    return query("--cflags"), query("--libs")


HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)  # setuptools wants paths relative to the project directory

COMMON_CFLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-fvisibility=hidden"]
if os.environ.get("NGO_WERROR") == "1":
    COMMON_CFLAGS.append("-Werror")

sources = ["csrc/emulatormodule.c"] + sorted(
    s for s in glob.glob("csrc/emu_*.c")
)
cflags, libs = pkg_config(*MODULES)
setup(
    ext_modules=[
        Extension(
            "govuk_notify_emulator._emulator",
            sources=sources,
            include_dirs=["csrc"],
            extra_compile_args=COMMON_CFLAGS + cflags,
            extra_link_args=[*libs, "-lpthread", "-lm"],
            depends=glob.glob("csrc/*.h"),
        )
    ]
)
