"""Where the benchmarks read the shared data: `../shared/data` beside the checkout, or the folder BENCH_SHARED_DATA
names (a second worktree of the project sits elsewhere than the checkout the data lies beside)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCH_SHARED_DATA") or ROOT.parent / "shared" / "data")
