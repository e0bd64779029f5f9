"""Importing the core starts no threads and opens no sockets; the runtime
libcurl is checked at import."""

from __future__ import annotations

import json
import subprocess
import sys

from django_govuk_notify_outbox import _core

PROBE = """
import json, os
def threads(): return len(os.listdir("/proc/self/task"))
def sockets():
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n
from django_govuk_notify_outbox import _core
from django_govuk_notify_outbox.client import NotificationsAPIClient
after_import = (threads(), sockets())
NotificationsAPIClient("k-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0")
after_client = (threads(), sockets())
print(json.dumps([after_import, after_client]))
"""


def test_import_and_client_creation_start_no_threads_and_open_no_sockets() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
    ).stdout
    after_import, after_client = json.loads(out)
    assert after_import == [1, 0]
    assert after_client == [1, 0]


def test_module_reports_the_runtime_libcurl_and_its_http2_capability() -> None:
    assert isinstance(_core.HTTP2, bool)
    major, minor, *_ = (int(p) for p in _core.LIBCURL_VERSION.split("."))
    assert (major, minor) >= (7, 66)  # curl_multi_poll
