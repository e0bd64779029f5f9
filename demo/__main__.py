"""`python -m demo`: see demo/driver.py."""

from __future__ import annotations

import sys

from demo.driver import main

sys.exit(main())
