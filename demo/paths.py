"""Where the demo keeps its state: demo/run/ (git-ignored), or $NGO_DEMO_RUN_DIR."""

from __future__ import annotations

import os
from pathlib import Path

RUN_DIR = Path(os.environ.get("NGO_DEMO_RUN_DIR", Path(__file__).resolve().parent / "run"))
