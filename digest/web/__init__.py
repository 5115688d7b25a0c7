"""The web shell: the aiohttp application, its pages, feeds, review page and suggestions; no business rules."""
