"""The service's start-up lines for its schedule, as a maintainer reads them in the log."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from tests.kept_model import with_kept_model
from tests.service_runs import assert_stopped_cleanly, started_service


def test_each_job_is_said_in_the_zone_its_setting_is_written_in_with_utc_beside_it(
    tmp_path: Path, kept_model: Path
) -> None:
    """The poll's next run was logged as "2026-12-07 00:30:00-05:00" and the weekly digest's as "08:00:00+00:00": two
    offsets, no zone named, and nothing to say the poll's "30 0 * * mon-fri" is New York time. Each is now said in
    the zone its setting is written in ([arxiv] poll_timezone, the top-level timezone), by name, with UTC beside it
    when that zone is another."""
    with_kept_model(tmp_path / "data", kept_model)
    with started_service(tmp_path, "http://127.0.0.1:9/unused") as (service, log):
        service.send_signal(signal.SIGTERM)
        status = service.wait(timeout=120)
    assert_stopped_cleanly(status, log)
    lines = [line.partition("digest.service: ")[2] for line in log.read_text(encoding="utf-8").splitlines()]
    said = {line.split()[1]: line for line in lines if line.startswith("schedule: ") and " next runs at " in line}
    day = r"\d{4}-\d\d-\d\d"
    # 00:30 in New York is 05:30 UTC, or 04:30 in its summer time.
    assert re.fullmatch(rf"schedule: poll next runs at {day} 00:30 America/New_York \(0[45]:30 UTC\)", said["poll"])
    assert re.fullmatch(
        rf"schedule: poll-retry next runs at {day} 06:00 America/New_York \(1[01]:00 UTC\)", said["poll-retry"]
    )
    assert re.fullmatch(rf"schedule: weekly next runs at {day} 08:00 UTC", said["weekly"]), said
