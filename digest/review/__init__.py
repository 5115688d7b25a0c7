"""Review: the one path by which Discord, the web page, feed links and the command line decide on a candidate,
the audit log as people read it, and the signed links and tokens the decisions travel by."""
