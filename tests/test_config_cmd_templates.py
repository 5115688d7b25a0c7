"""`digest config check` on a templates folder of your own: templates that cannot be read, the web pages' own
filters, a folder kept in git, and the review pages' scripts that are not templates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from digest.cli import main
from tests.config_cmd import ROOT, run, write
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared


def test_a_configured_folder_that_does_not_exist(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(clean_environment / "config.toml", 'templates_dir = "/nonexistent/templates"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1
    assert "problem: templates_dir /nonexistent/templates does not exist" in out


def test_a_template_of_your_own_that_cannot_be_read_is_found_by_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the weekly digest's template with an `{% if %}` left open: `config check` said "configuration OK",
    and `digest weekly` (and the service's weekly job) ended in a jinja2 traceback. A copy saved under a name the
    service never reads (weekly/digest.md) changed nothing, silently. Now `config check` names the file and line of
    the first and warns of the second, and `digest weekly` says the first in one line."""
    templates = clean_environment / "templates"
    bundled = (ROOT / "templates" / "weekly" / "digest.md.j2").read_text(encoding="utf-8")
    broken = write(templates / "weekly" / "digest.md.j2", bundled + "{% if papers %}\n")
    write(templates / "weekly" / "digest.md", bundled)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 1, out
    line = bundled.count("\n") + 1
    assert f"problem: template {broken}:{line}: Unexpected end of template" in out, out
    assert "warning: templates_dir holds weekly/digest.md, which is not a template the service reads" in out, out
    status = main(["--config", str(config), "--data-dir", data, "weekly", "--dry-run"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err, err
    assert f"digest: template {broken}:{line}: Unexpected end of template" in err, err


def test_a_web_template_of_your_own_may_use_the_web_pages_own_filters(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the review card (web/_paper.html) that shows the authors with the pages' own `authors` filter, as the
    bundled one does, outside its `{% if %}`: `config check` refused it ("No filter named 'authors'"), read with the
    weekly digest's filters alone, while the service rendered it. Each template is read with its pages' filters."""
    bundled = (ROOT / "templates" / "web" / "_paper.html").read_text(encoding="utf-8")
    shown = "{% if candidate.authors %}{{ candidate.authors|authors }} · {% endif %}"
    assert shown in bundled
    templates = clean_environment / "templates"
    write(templates / "web" / "_paper.html", bundled.replace(shown, "{{ candidate.authors|authors }} · "))
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0 and "problem" not in out, out


def test_a_templates_folder_kept_in_git_is_no_warning(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Templates of one's own kept in a git repository (as operators keep their settings): `config check` warned of
    every file under .git ("templates_dir holds .git/HEAD, which is not a template the service reads", some 25 lines
    after one commit, one more for every object later), burying the warnings that matter. Hidden files and folders
    are not templates, nor mistakes: they are passed over."""
    templates = clean_environment / "templates"
    write(templates / "weekly" / "digest.md.j2", (ROOT / "templates" / "weekly" / "digest.md.j2").read_text("utf-8"))
    write(templates / ".gitignore", "*.bak\n")
    environment = {"PATH": os.environ["PATH"], "HOME": str(clean_environment), "GIT_CONFIG_NOSYSTEM": "1"}
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=M", "-c", "user.email=m@x", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=templates, env=environment, check=True)
    write(templates / "weekly" / "digest.md", "a copy under a name never read")
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    held = [line for line in out.splitlines() if "templates_dir holds" in line]
    assert held == ["warning: templates_dir holds weekly/digest.md, which is not a template the service reads"], out


def test_the_review_pages_script_of_your_own_is_not_read_as_a_template(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """web/review.js is served as it is, never rendered: a copy of one's own holding `{#` (a class field written
    `{#pressed = 0}`) was refused by `config check` as a template ("Missing end of comment tag") although the page
    serves it whole. It is no template, and is not read as one."""
    script = (ROOT / "templates" / "web" / "review.js").read_text(encoding="utf-8") + "class Keys {#pressed = 0}\n"
    templates = clean_environment / "templates"
    write(templates / "web" / "review.js", script)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0 and "problem" not in out and "review.js" not in out, out


def test_a_web_template_of_your_own_using_the_authors_filter_passes_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the paper card that shows `{{ candidate.authors|authors }}` outside its `{% if %}`: the pages render
    it (the web's own filter), but `config check` parsed it with the weekly digest's filters only and said "problem:
    No filter named 'authors'", exit 1, of a template that works."""
    templates = clean_environment / "templates"
    bundled = (ROOT / "templates" / "web" / "_paper.html").read_text(encoding="utf-8")
    own = bundled.replace("{% if candidate.authors %}{{ candidate.authors|authors }} · {% endif %}", "")
    assert own != bundled
    write(templates / "web" / "_paper.html", "<p>{{ candidate.authors|authors }}</p>\n" + own)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert "authors" not in out, out
    assert status == 0, out


def test_your_own_keyboard_script_is_not_parsed_as_a_template_by_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """web/review.js sits among the templates but is served as it is, never rendered: a copy of one's own whose code
    holds "{%" (a string, a minified block) was "problem: template web/review.js: ...", exit 1, of a file that works."""
    templates = clean_environment / "templates"
    bundled = (ROOT / "templates" / "web" / "review.js").read_text(encoding="utf-8")
    write(templates / "web" / "review.js", 'const marker = "{%";\n' + bundled)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert "review.js" not in out, out
    assert status == 0, out
