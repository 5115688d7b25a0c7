"""awesome-digest: keeps a curated awesome list of papers up to date from arXiv."""

__version__ = "0.1.0"
