"""gzip'd answers: a cut-off one is a broken gzip, one of two members is read whole, and one unpacking past the size
limit is refused naming the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from tests.arxiv_server import FakeClock
from tests.fetching import ARXIV, CL


@pytest.mark.asyncio
async def test_a_cut_off_gzip_answer_is_a_broken_gzip_not_a_feed() -> None:
    """A proxy that sent half of the gzip'd feed with a Content-Length to match: the fetch took it as a 200 and the
    poll then said the feed itself was cut off (arXiv's fault, it seemed). It is now one line saying the gzip is
    broken, and no answer: no ETag kept, so the retry asks for the whole feed again."""
    import gzip

    from tests.arxiv_server import RawServer

    feed = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
    squeezed = gzip.compress(feed)
    cut = squeezed[: len(squeezed) // 2]
    head = f'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nETag: "half"\r\nContent-Length: {len(cut)}\r\n\r\n'
    async with RawServer() as raw, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        whole = raw.program(
            "/whole",
            f"{head[: head.index('Content-Length')]}Content-Length: {len(squeezed)}\r\n\r\n".encode() + squeezed,
        )
        assert (await fetcher.fetch(whole)).body == feed  # a whole gzip answer is read as ever
        url = raw.program("/rss/cs.CL", head.encode() + cut)
        with pytest.raises(FetchError) as broken:
            await fetcher.fetch(url)
    message = str(broken.value)
    assert "broken gzip" in message and "\n" not in message and message.startswith(url), message


@pytest.mark.asyncio
async def test_a_gzip_answer_of_two_members_is_read_whole() -> None:
    """A server (or a proxy streaming the feed as it compressed it) sent the feed as two gzip members one after the
    other, legal gzip (RFC 1952, what `cat a.gz b.gz` makes): only the first member was read and the entries in the
    second were lost without a word. Every member is read now, padding of zero bytes after the last ignored."""
    import gzip

    from tests.arxiv_server import RawServer

    feed = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
    half = len(feed) // 2
    members = gzip.compress(feed[:half]) + gzip.compress(feed[half:])
    async with RawServer() as raw, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        for path, body in (("/two", members), ("/padded", members + b"\0" * 16)):
            head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
            url = raw.program(path, head.encode() + body)
            assert (await fetcher.fetch(url)).body == feed, path


@pytest.mark.asyncio
async def test_a_gzip_answer_unpacking_past_the_limit_names_the_limit_in_mib() -> None:
    """A small gzip that unpacks to 3 MiB against a 1 MiB limit is refused; the line named the limit as
    '1048576-byte limit', a number to count the digits of; it says '1 MiB' as every size the service names."""
    import gzip

    from tests.arxiv_server import RawServer

    squeezed = gzip.compress(b"<rss>" + b" " * (3 * 1024 * 1024) + b"</rss>")
    settings = ARXIV.model_copy(update={"max_response_bytes": 1024 * 1024})
    async with RawServer() as raw, Fetcher(settings, clock=FakeClock()) as fetcher:
        head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(squeezed)}\r\n\r\n"
        url = raw.program("/rss/cs.CL", head.encode() + squeezed)
        with pytest.raises(FetchError) as refused:
            await fetcher.fetch(url)
    assert str(refused.value) == f"{url}: the answer unpacks to over the 1 MiB limit; refused", str(refused.value)
