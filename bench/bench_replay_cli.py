"""The development replay driven through the command line, as a maintainer (or the check made from outside) drives the
product: each week's papers are written as an arXiv RSS file and read with `digest poll --source FILE --json`; what
waits for review is listed with `digest candidates --status pending --json`; a `yes` paper is approved with
`digest approve ID --section LABEL` (the section as the judged papers name it), every other one rejected with
`digest reject ID`. Recall and the share flagged are counted on the later half of the weeks, from what each poll
reported as new candidates. The same stream and padding as bench_relevance.py, which runs the same replay in one
process; the two should agree to a paper or two (this one fits the thresholds after each poll, as the service does).

Every command runs in this process through `digest.cli.main`, so the figures are the product's; a decision that
fails is printed and counted. Needs ../shared/data/.

    .venv/bin/python bench/bench_replay_cli.py [--warm-only] [--density 0.00155 | --density 0]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_relevance import OUTSIDE_YES_SHARE, development_data, interval, padded  # noqa: E402
from digest.cli import main as digest_main  # noqa: E402
from digest.review.replay import ReplayPaper, weeks_of  # noqa: E402
from digest.service.wiring import open_service_database  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.feedbuild import build_rss  # noqa: E402


@dataclass
class Tally:
    stream: int = 0
    yes: int = 0
    flagged: int = 0
    found: int = 0
    approved: int = 0
    rejected: int = 0
    failed: int = 0

    def line(self, name: str, elapsed: float) -> str:
        recall = self.found / self.yes if self.yes else 0.0
        return (
            f"  {name:<5} recall {recall:.3f} ({self.found}/{self.yes}, 95% {interval(self.found, self.yes)})"
            f"   flagged {self.flagged}/{self.stream} = {self.flagged / max(self.stream, 1):.3%}"
            f"   decisions {self.approved} approved, {self.rejected} rejected, {self.failed} failed   {elapsed:.0f} s"
        )


def command(data_dir: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = digest_main(["--data-dir", str(data_dir), *args])
    return status, out.getvalue(), err.getvalue()


def replay(papers: list[ReplayPaper], folder: Path, learn: bool, density: float) -> Tally:
    data_dir = folder / "data"
    settings = make_settings(data_dir)
    database = open_service_database(settings)  # the data folder the commands use; read by `padded` only
    weeks = weeks_of(papers)
    half = len(weeks) // 2
    tally = Tally()
    try:
        for number, week in enumerate(padded(weeks, database, half, density)):
            path = folder / f"week-{number:03d}.xml"
            records = [{"arxiv_id": p.arxiv_id, "title": p.title, "abstract": p.abstract} for p in week]
            path.write_bytes(build_rss("cs.CV", records, max(p.published for p in week)))
            status, out, err = command(data_dir, "poll", "--source", str(path), "--json")
            if status != 0:
                raise SystemExit(f"bench_replay_cli: the poll of week {number} failed: {err.strip() or out[-300:]}")
            new = set(json.loads(out)["sources"][0]["new"])
            judged = {paper.arxiv_id: paper for paper in week}
            if number >= half:
                tally.stream += len(week)
                tally.yes += sum(paper.label == "yes" for paper in week)
                tally.flagged += len(new)
                tally.found += sum(judged[arxiv_id].label == "yes" for arxiv_id in new if arxiv_id in judged)
            if learn:
                decide(data_dir, judged, tally)
    finally:
        database.dispose()
    return tally


def decide(data_dir: Path, judged: dict[str, ReplayPaper], tally: Tally) -> None:
    _, out, _ = command(data_dir, "candidates", "--status", "pending", "--json")
    for row in json.loads(out):
        paper = judged.get(row["arxiv_id"])
        if paper is not None and paper.label == "yes" and paper.section:
            status, _, err = command(data_dir, "approve", str(row["id"]), "--section", paper.section)
            tally.approved += 1
        else:
            status, _, err = command(data_dir, "reject", str(row["id"]))
            tally.rejected += 1
        if status != 0:
            tally.failed += 1
            print(f"    failed: {row['arxiv_id']}: {err.strip()[:200]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--others", type=int, default=2000, help="other haystack papers per week, at most")
    parser.add_argument("--warm-only", action="store_true")
    parser.add_argument(
        "--density", type=float, default=OUTSIDE_YES_SHARE, help="also pad the measured weeks to this `yes` share"
    )
    args = parser.parse_args()
    data = development_data(args.others)
    if data is None:
        return 0
    _, papers = data
    print(f"replay through the command line: {len(papers)} papers, the later half of the weeks measured")
    for density in (0.0, args.density) if args.density else (0.0,):
        if density:
            print(f"at the outside check's density: measured weeks padded until `yes` is {density:.3%} of the stream")
        for name, learn in (("cold", False), ("warm", True)):
            if name == "cold" and args.warm_only:
                continue
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as name_of_folder:
                here = os.getcwd()
                os.chdir(name_of_folder)  # no stray .env
                try:
                    tally = replay(papers, Path(name_of_folder), learn, density)
                finally:
                    os.chdir(here)
            print(tally.line(name, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
