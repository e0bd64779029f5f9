"""release_free_memory(): memory the C allocator keeps after it is freed goes back to the
system (what notify_outbox_worker does every second, so its RSS stays flat)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

PROBE = """
import json
from django_govuk_notify_outbox import _core

def anonymous_mib():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024

blocks = [bytes(4000) for _ in range(15000)]  # ~60 MiB from malloc (over pymalloc's 512 B)
top = bytes(4000)  # allocated last: the freed blocks lie below it, not at the heap's top
full = anonymous_mib()
del blocks
freed = anonymous_mib()
released = _core.release_free_memory()
print(json.dumps([full, freed, anonymous_mib(), released]))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_memory_freed_below_the_heaps_top_is_returned_to_the_system() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    full, freed, after, released = json.loads(out.stdout)
    assert released is True
    assert freed > full - 5  # glibc keeps what was freed in the middle of its heap
    assert after < freed - 40  # returned: the 60 MiB of blocks, all but a few pages
