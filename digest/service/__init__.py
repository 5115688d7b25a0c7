"""The running process: the scheduler, the poll, the web server and the bot put together (`wiring`, `process`)."""
