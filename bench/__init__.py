"""The benchmarks: each a script (`.venv/bin/python bench/NAME.py`) printing a ratio measured in one run; a package so
that one reads another's set-up as bench.NAME, as mypy checks them."""
