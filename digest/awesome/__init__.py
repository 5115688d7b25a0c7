"""The awesome list's Markdown: parse, entry and lint are pure; `store` keeps the list in the database and
`listfile` writes `list.md`. Import the submodules directly (the command line's help imports only `limits`)."""
