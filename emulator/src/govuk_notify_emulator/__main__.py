"""``python -m govuk_notify_emulator``: run the Notify emulator."""

from __future__ import annotations

import sys

from govuk_notify_emulator._emulator import run


def main() -> int:
    return run(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
