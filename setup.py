"""Build the C extensions: the Notify client core and the Notify emulator.

System libraries are found with pkg-config. When one is missing the build stops
with the Debian packages that provide it.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup

# pkg-config module -> Debian package that provides its development files.
DEBIAN_PACKAGES = {
    "libcurl": "libcurl4-openssl-dev",
    "libcrypto": "libssl-dev",
    "jansson": "libjansson-dev",
    "libmicrohttpd": "libmicrohttpd-dev",
    "libidn2": "libidn2-dev",
}


def pkg_config(*modules: str) -> tuple[list[str], list[str]]:
    missing = []
    for module in modules:
        try:
            subprocess.run(
                ["pkg-config", "--exists", module], check=True, capture_output=True
            )
        except FileNotFoundError:
            sys.exit(
                "error: pkg-config is not installed. On Debian/Ubuntu: "
                "apt-get install pkg-config"
            )
        except subprocess.CalledProcessError:
            missing.append(module)
    if missing:
        packages = " ".join(DEBIAN_PACKAGES[m] for m in missing)
        sys.exit(
            f"error: cannot find {', '.join(missing)} with pkg-config. "
            f"On Debian/Ubuntu: apt-get install pkg-config {packages}"
        )
    cflags = subprocess.run(
        ["pkg-config", "--cflags", *modules], check=True, capture_output=True, text=True
    ).stdout
    libs = subprocess.run(
        ["pkg-config", "--libs", *modules], check=True, capture_output=True, text=True
    ).stdout
    return shlex.split(cflags), shlex.split(libs)


COMMON_CFLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-fvisibility=hidden"]
if os.environ.get("NGO_WERROR") == "1":
    COMMON_CFLAGS.append("-Werror")


def extension(name: str, sources: list[str], modules: tuple[str, ...]) -> Extension:
    cflags, libs = pkg_config(*modules)
    headers = glob.glob("csrc/**/*.h", recursive=True)
    return Extension(
        name,
        sources=sources,
        include_dirs=["csrc/core", "csrc/emulator"],
        extra_compile_args=COMMON_CFLAGS + cflags,
        extra_link_args=libs,
        depends=headers,
    )


core_sources = sorted(glob.glob("csrc/core/*.c"))
emulator_sources = sorted(
    s for s in glob.glob("csrc/emulator/*.c") if os.path.basename(s) != "main.c"
)

# NGO_ONLY=core or NGO_ONLY=emulator builds just that extension (development).
only = os.environ.get("NGO_ONLY", "")
ext_modules = []
if only in ("", "core") and os.path.exists("csrc/binding/coremodule.c"):
    ext_modules.append(
        extension(
            "django_govuk_notify_outbox._core",
            ["csrc/binding/coremodule.c", *core_sources],
            ("libcurl", "libcrypto"),
        )
    )
if only in ("", "emulator") and os.path.exists("csrc/binding/emulatormodule.c"):
    ext_modules.append(
        extension(
            "django_govuk_notify_outbox.emulator._emulator",
            ["csrc/binding/emulatormodule.c", *emulator_sources, *core_sources],
            ("libmicrohttpd", "jansson", "libcrypto", "libcurl", "libidn2"),
        )
    )

setup(ext_modules=ext_modules)
