"""The forge's pull-request REST API (GitHub's; GitHub Enterprise at its own `api_url`, Gitea and Forgejo alike),
through urllib: list, open, update and close the service's pull request. The token travels only in the Authorization
header; errors are one line without it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from http.client import HTTPMessage
from typing import IO, Any
from urllib.parse import quote, urlencode, urlsplit

from digest.publish.git import GitError
from digest.publish.rules import one_line

FORGE_TIMEOUT_SECONDS = 30.0


class ForgeError(GitError):
    """The forge refused or could not be reached; retried like a git failure. One line, with no secret in it."""


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


class _SameOriginAuth(urllib.request.HTTPRedirectHandler):
    """Follows a redirect (a renamed repository) with the token only when it stays on the forge's own origin: a
    redirect to another host or to plain http must never carry it there."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        token = req.unredirected_hdrs.get("Authorization")
        if new is not None and token and _origin(newurl) == _origin(req.full_url):
            new.add_unredirected_header("Authorization", token)
        return new


_OPENER = urllib.request.build_opener(_SameOriginAuth)


class Forge:
    def __init__(self, api_url: str, owner: str, name: str, token: str | None) -> None:
        self.api_url = api_url.rstrip("/")
        self.owner = owner
        self.name = name
        self._token = token

    def pulls(self, branch: str, state: str) -> list[dict[str, Any]]:
        """Pull requests from `branch` of this repository, `state` open, closed or all."""
        query = {"head": f"{self.owner}:{branch}", "state": state, "per_page": "100"}
        found = self._request("GET", "/pulls", query=query)
        if not isinstance(found, list):
            raise ForgeError(f"the forge's list of pull requests at {self.api_url} is not a list")
        return [item for item in found if isinstance(item, dict)]

    def create(self, branch: str, base: str, title: str, body: str) -> int:
        payload = {"title": title, "head": branch, "base": base, "body": body}
        return self._number(self._request("POST", "/pulls", payload=payload))

    def update(self, number: int, title: str, body: str) -> int:
        return self._number(self._request("PATCH", f"/pulls/{number}", payload={"title": title, "body": body}))

    def close(self, number: int) -> None:
        """Closes the pull request unmerged."""
        self._request("PATCH", f"/pulls/{number}", payload={"state": "closed"})

    def _number(self, answer: Any) -> int:
        if not isinstance(answer, dict) or not isinstance(answer.get("number"), int):
            raise ForgeError(f"the forge at {self.api_url} answered without a pull request number")
        return int(answer["number"])

    def _request(
        self, method: str, path: str, *, query: dict[str, str] | None = None, payload: dict[str, str] | None = None
    ) -> Any:
        url = f"{self.api_url}/repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}{path}"
        if query:
            url += "?" + urlencode(query)
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "awesome-digest",
        }
        data = None
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (http(s) only)
        if self._token:  # not copied onto a redirect; _SameOriginAuth gives it back to the same origin only
            request.add_unredirected_header("Authorization", f"Bearer {self._token}")
        what = f"{method} {path.split('?')[0]} at {self.api_url}"
        try:
            with _OPENER.open(request, timeout=FORGE_TIMEOUT_SECONDS) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise ForgeError(f"{what} answered {exc.code}: {self._reason(exc)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ForgeError(f"cannot reach the forge for {what}: {self._redact(str(reason))}") from None
        try:
            return json.loads(body) if body else None
        except ValueError:
            raise ForgeError(f"{what} answered with something other than JSON") from None

    def _reason(self, error: urllib.error.HTTPError) -> str:
        try:
            answer = json.loads(error.read() or b"null")
        except (ValueError, OSError):
            answer = None
        message = answer.get("message") if isinstance(answer, dict) else None
        text = message if isinstance(message, str) else str(error.reason)
        return self._redact(one_line(text, 200))

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text
