"""arXiv: `parse` turns answers into papers (pure); `fetcher`, `poller`, `poll_pass`, `api`, `backfill` and
`candidates` are the shells that fetch, poll, backfill and store the candidates."""
