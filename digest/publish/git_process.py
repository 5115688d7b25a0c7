"""How long a git command may run, and the running of one: the one home of git's limits.

A command that talks to the repository (fetch, push, ls-remote) is given up when its connection stalls, by git's own
low-speed check (http) or ssh's keep-alive, not after a fixed time: a first fetch of a long history on a slow link
takes as long as it takes while it moves. A long ceiling still ends one that trickles for ever; a command on the
clone alone keeps a short limit. Stopping the service ends the command under way rather than waiting it out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading

from digest.publish.retrying import tried_again
from digest.sizes import shown_duration

LOCAL_SECONDS = 120.0  # a command on the clone alone (commit, checkout, rev-parse); also what makes a lock stale
NETWORK_SECONDS = 4 * 3600.0  # fetch, push, ls-remote: a ceiling only (a 2 GB first fetch at 1 Mbit/s fits in it)
STALL_SECONDS = 60  # a connection moving fewer than STALL_BYTES_PER_SECOND for this long is given up
STALL_BYTES_PER_SECOND = 1  # at most this: a server counting objects sends a 5-byte keep-alive every 5 s
SSH_ALIVE_SECONDS = 15  # ssh asks the server this often, and gives up after STALL_SECONDS without an answer
NETWORK_COMMANDS = frozenset({"fetch", "push", "ls-remote", "clone"})
_END_SECONDS = 5.0  # how long an ended git has to remove its lock files before it is killed


def over_network(command: str) -> bool:
    """Whether the git `command` (its name: fetch, commit) talks to the repository, and so has the long ceiling."""
    return command in NETWORK_COMMANDS


def time_limit(network: bool) -> float:
    return NETWORK_SECONDS if network else LOCAL_SECONDS


def over_time_limit(command: str, network: bool, remote: str, by_hand: str = "") -> str:
    """The line for git `command` given up at its time limit: a network one moved all along (a stall ends it sooner),
    too slowly for its ceiling; one on the clone alone hung on the machine itself. `by_hand`: retrying.tried_again's."""
    limit = shown_duration(time_limit(network))
    if network:
        return (
            f"git {command} with {remote} was still running after {limit}, the longest one may take (data kept "
            f"coming, too slowly); {tried_again(by_hand)}"
        )
    return (
        f"git {command} in the service's clone was still running after {limit} (a slow or full disk?); "
        f"{tried_again(by_hand)}"
    )


def stall_environment() -> dict[str, str]:
    """git's low-speed check over http(s), which the service sets alone (the operator's GIT_* are not passed on)."""
    return {"GIT_HTTP_LOW_SPEED_LIMIT": str(STALL_BYTES_PER_SECOND), "GIT_HTTP_LOW_SPEED_TIME": str(STALL_SECONDS)}


def ssh_alive_options() -> str:
    """ssh's options that end a connection whose server stopped answering (a hung forge, a dropped link)."""
    tries = max(1, STALL_SECONDS // SSH_ALIVE_SECONDS)
    return f"-o ServerAliveInterval={SSH_ALIVE_SECONDS} -o ServerAliveCountMax={tries}"


class StoppedError(Exception):
    """The service is stopping: a network command was ended, or not started."""


class GitProcesses:
    """Runs a clone's git commands, each in a session of its own; `stop` ends the network command under way (and its
    helpers: git-remote-https, ssh) and refuses those that would follow. A command on the clone alone finishes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: subprocess.Popen[bytes] | None = None  # the network command under way
        self._stopped = False

    def run(
        self, command: list[str], stdin: bytes | None, environment: dict[str, str], network: bool
    ) -> subprocess.CompletedProcess[bytes]:
        """The finished command; raises subprocess.TimeoutExpired past its time limit, OSError when git cannot
        start, StoppedError when `stop` ended it (or came first)."""
        seconds = time_limit(network)
        piped = subprocess.PIPE if stdin is not None else None
        # A session of its own: no terminal for ssh to ask on (git's own prompts are off), in `digest run`'s
        # terminal or `digest publish`'s; it fails at once with its reason instead of hanging on a question.
        with self._lock:
            if network and self._stopped:
                raise StoppedError
            process = subprocess.Popen(
                command,
                stdin=piped,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment,
                start_new_session=True,
            )
            if network:
                self._running = process
        with process:
            try:
                out, err = process.communicate(stdin, timeout=seconds)
            except BaseException:  # the time limit, or Ctrl-C in `digest publish`: git ends with it
                _end(process)
                raise
            finally:
                with self._lock:
                    self._running = None
                    stopped = network and self._stopped
        if stopped and process.returncode != 0:
            raise StoppedError
        return subprocess.CompletedProcess(command, process.returncode, out, err)

    def stop(self) -> None:
        """Ends the network command under way (called from another thread: the service stopping)."""
        with self._lock:
            self._stopped = True
            if self._running is not None and self._running.poll() is None:
                _signal_group(self._running, signal.SIGTERM)


def _end(process: subprocess.Popen[bytes]) -> None:
    """Ends git and its helpers: asked first (git removes its lock files on SIGTERM), killed if it lingers."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.communicate(timeout=_END_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.communicate()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)  # the session's leader: its group is git and what git started
