"""``python -m django_govuk_notify_outbox.emulator``: run the Notify emulator."""

from __future__ import annotations

import sys

from django_govuk_notify_outbox.emulator._emulator import run


def main() -> int:
    return run(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
