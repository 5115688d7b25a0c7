"""A publish against a README near the 5 MB limit, beside the same publish against the seed list, in one run.

Two data folders, each publishing to its own bare repository on disk (real git): one whose README is the seed list
(29 kB), one whose README a maintainer replaced by hand with the seed's entries repeated to just under 5 MB. Each
publish is timed (wall and processor time, git's children included) with the Python heap's peak (tracemalloc) and
the largest git child's resident size: the hand edit brought in (the merge and the import), then one approval
published (render, commit, push). Prints each figure and the ratio big/small beside the ratio of the file sizes: a
publish that grows faster than the file is the thing to look for.
Run: .venv/bin/python bench/bench_publish.py [--bytes 4900000]
"""

from __future__ import annotations

import argparse
import functools
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.awesome.parse import parse_list  # noqa: E402
from digest.publish.publisher import Publisher  # noqa: E402
from digest.resources import seed_list_path  # noqa: E402
from digest.review.reviewer import Reviewer  # noqa: E402
from digest.review.rules import Actor  # noqa: E402
from digest.service.wiring import open_service_database  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.factories import insert_candidate, real_papers  # noqa: E402
from tests.git_remote import AUTHOR_ENV as GIT_ENV  # noqa: E402

_ARXIV = re.compile(r"(arxiv\.org/(?:abs|pdf)/)\d{4}\.(\d{4,5})")
_TITLE = re.compile(r"^(\+ (?:\*\*[^*]+\*\* )?\[)([^\]]+)\]", re.MULTILINE)
_KEY = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})|^\+ (?:\*\*[^*]+\*\* )?\[([^\]]+)\]", re.MULTILINE)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def big_list(size: int) -> str:
    """The seed's entries repeated inside its own sections until the file is about `size` bytes, each copy's titles
    and arXiv IDs made unique (see unique_id)."""
    seed = seed_list_path().read_text(encoding="utf-8")
    parsed = parse_list(seed)
    parts = [parsed.preamble]
    raws = [entry.raw for section in parsed.sections for entry in section.entries]
    seen = Counter(key for raw in raws for key in keys_of(raw))
    copied = sum(len(raw.encode("utf-8")) + 12 for raw in raws if all(seen[k] == 1 for k in keys_of(raw)))
    copies = max(1, (size - len(seed.encode("utf-8"))) // copied + 1)
    for section in parsed.sections:
        parts.append(section.intro_raw)
        for copy in range(copies):
            for entry in section.entries:
                keys = keys_of(entry.raw)
                if copy and any(seen[key] > 1 for key in keys):  # the seed's own lint findings are not copied
                    continue
                raw = entry.raw if entry.raw.endswith("\n") else entry.raw + "\n"
                if copy:
                    raw, titled = _TITLE.subn(rf"\g<1>\g<2> (copy {copy})]", raw, count=1)
                    if not titled:  # a title of another shape: copied, it would link its papers under two titles
                        continue
                    raw = _ARXIV.sub(functools.partial(unique_id, copy=copy), raw)
                parts.append(raw)
    parts.append(parsed.trailer)
    return "".join(parts)


def keys_of(raw: str) -> set[str]:
    """An entry's arXiv IDs and its title, as the lint compares them."""
    return {arxiv_id or title.lower() for arxiv_id, title in _KEY.findall(raw)}


def unique_id(found: re.Match[str], copy: int) -> str:
    """Copy n of 2411.16198: a year of 2015-2021 (the seed has none) and a month from n, the number's first digit 9,
    8, 7... once those run out (every 84 copies): well-formed IDs arXiv could have issued, one per copy."""
    number = found[2] if copy < 84 else "9876543"[copy // 84 - 1] + found[2][1:]  # the seed's start with 0-2
    return f"{found[1]}{15 + copy % 7:02d}{1 + copy // 7 % 12:02d}.{number}"


def measured(step: Callable[[], object]) -> tuple[float, float, float, float]:
    """Wall seconds, processor seconds (with git's children), the heap's peak MB, the largest child's MB so far."""
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    step()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu + (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    wall = time.perf_counter() - wall
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return wall, cpu, peak, after.ru_maxrss / 1024


def run(folder: Path, readme: str) -> tuple[int, list[tuple[float, float, float, float]]]:
    """The two publishes in a new data folder and repository; the README's size and each publish's figures."""
    bare, work = folder / "remote.git", folder / "maintainer"
    folder.mkdir()
    git(folder, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git(folder, "clone", "--quiet", bare.as_uri(), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    (work / "README.md").write_bytes(seed_list_path().read_bytes())
    git(work, "add", "README.md")
    git(work, "commit", "--quiet", "-m", "The list")
    git(work, "push", "--quiet", "origin", "main")
    config = f'[publish]\nrepository = "{bare.as_uri()}"\nauthor = "digest bot <bot@example.org>"\nbatch_seconds = 0\n'
    settings = make_settings(folder / "data", config)
    database = open_service_database(settings)
    try:
        publisher = Publisher(database, settings)
        assert publisher.publish().outcome == "unchanged"  # the first sync
        (work / "README.md").write_text(readme, encoding="utf-8")
        git(work, "commit", "--quiet", "-am", "A hand edit")
        git(work, "push", "--quiet", "origin", "main")
        figures = [measured(lambda: check(publisher.publish().outcome, "unchanged"))]
        candidate = insert_candidate(database, real_papers()[0])
        Reviewer(database, settings).decide(candidate, "approve", Actor("ann", "1001", "discord"))
        figures.append(measured(lambda: check(publisher.publish().outcome, "published")))
    finally:
        database.dispose()
    return len(readme.encode("utf-8")), figures


def check(outcome: str, expected: str) -> None:
    if outcome != expected:
        raise SystemExit(f"the publish said {outcome}, not {expected}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bytes", type=int, default=4_900_000)
    args = parser.parse_args()
    seed = seed_list_path().read_text(encoding="utf-8")
    small_edit = seed.replace("\n", "\n\n", 1)  # a hand edit the same in kind: a blank line after the title
    with tempfile.TemporaryDirectory() as folder:
        small_size, small = run(Path(folder) / "small", small_edit)
        big_size, big = run(Path(folder) / "big", big_list(args.bytes))
    print(f"README: {small_size:,} bytes (seed) and {big_size:,} bytes: x{big_size / small_size:.0f} the size")
    for name, little, large in zip(("hand edit brought in", "one approval pushed"), small, big, strict=True):
        print(f"{name}:")
        for label, one, other in zip(("wall s", "cpu s", "heap MB", "git MB"), little, large, strict=True):
            print(f"  {label:>8}: {one:9.3f} small {other:9.3f} big  x{other / max(one, 1e-9):7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
