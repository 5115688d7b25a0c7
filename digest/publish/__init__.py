"""Publishing the list to a git repository: the rules (pure), git and forge access, commit and pull-request modes,
and the running service's runner."""
