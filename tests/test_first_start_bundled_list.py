"""The README's first command, `digest run` on its embedded defaults, imports the bundled list into a new data folder
and said "new database: imported the bundled list (N entries)": a maintainer of another list, who had run it first
as told, learnt nothing there of how to serve theirs (and their seed_list, set later, is read only into a new data
folder). The line now says how, and names the README's section; through the real `digest run`."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from tests.service_runs import assert_stopped_cleanly, started_service


def test_the_first_start_on_the_bundled_list_says_how_to_serve_a_list_of_ones_own(tmp_path: Path) -> None:
    with started_service(tmp_path, "http://127.0.0.1:9/rss/cs.CV") as (service, log):
        service.send_signal(signal.SIGTERM)
        assert_stopped_cleanly(service.wait(timeout=60), log)
    lines = log.read_text(encoding="utf-8").splitlines()
    said = [
        re.sub(r"\(\d+ entries\)", "(N entries)", line.split("wiring: ")[1]) for line in lines if "new database" in line
    ]
    assert said == [
        "new database: imported the bundled list (N entries): for a list of your own, name its Markdown in seed_list"
        " (with list_title and feeds_dir) and give a new data_dir, or `digest list import --force YOUR.md` (README:"
        " 'Your own list')"
    ]
