"""Reading a ``plansync.toml`` into a :class:`~plansync.config.Config`: finding the file, its
TOML, its ``${ENV}`` references, and every mistake named by the file, line or key.

Secrets never live in the file: ``token = "${JIRA_API_TOKEN}"`` is resolved from the environment
at load time, into the model's :class:`pydantic.SecretStr`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from plansync.callers import LIBRARY, Caller
from plansync.config import URL_SETTINGS, Acceptance, Config
from plansync.errors import ConfigError, raise_alone
from plansync.settings import describe, key_of, validate_raw

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_NAME = "plansync.toml"
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
MALFORMED_REFERENCE = re.compile(r"\$\{[^}]{0,40}\}?")


def interpolate(
    value: Any,
    missing: list[tuple[str, str]],
    where: str = "",
    malformed: list[tuple[str, str]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string; note in ``missing`` each
    (key, variable) whose variable is unset, and in ``malformed`` each (key, text) of a ``${``
    that starts no such reference (it would be kept as text). Variables are read from
    ``environ``, by default the process's environment."""
    env = os.environ if environ is None else environ
    if isinstance(value, str):
        if malformed is not None:
            for match in MALFORMED_REFERENCE.finditer(ENV_REFERENCE.sub("", value)):
                malformed.append((where, match.group(0)))

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is None:
                missing.append((where, name))
                return ""
            return default

        return ENV_REFERENCE.sub(substitute, value)
    if isinstance(value, dict):
        return {
            k: interpolate(v, missing, f"{where}.{k}" if where else k, malformed, env)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            interpolate(v, missing, f"{where}[{i}]", malformed, env) for i, v in enumerate(value)
        ]
    return value


def load_config(
    path: str | Path | None = None,
    *,
    start: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load ``path``, or the nearest ``plansync.toml`` in ``start`` (or cwd) or its parents.

    Its ``${VAR}`` references read ``environ``, by default the process's environment; the
    demo passes an empty one, so that the ``JIRA_URL`` a user exported for real work never
    sends the example's items to their real Jira (each reference takes its default). Its
    messages name the library's calls (``plansync.apply(config)``)."""
    return read_config(path, start=start, caller=LIBRARY, environ=environ)


def read_config(
    path: str | Path | None,
    *,
    start: Path | None = None,
    caller: Caller,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """:func:`load_config` in ``caller``'s words (:mod:`plansync.callers`), from the moment
    the config is looked for: the command line's own, naming commands with the ``--config``
    the user gave. Internal, not exported: a library caller has no other words to choose, and
    keeping ``caller`` out of :func:`load_config` keeps :class:`~plansync.callers.Caller` out
    of the public API."""
    # "~" is the home folder, as in vault.path: parse_note and scan_vault read it so too.
    file = Path(os.path.expanduser(path)) if path else find_config(start or Path.cwd(), caller)
    # Absolute but with symlinks kept: a config linked into the vault from a dotfiles folder
    # is about the folder the link is in (its notes, its .plansync), which resolving it would
    # swap for the dotfiles folder. Absolute before it is read, as every message names it so.
    source = Path(os.path.abspath(file))
    return config_from_dict(read_toml(source), source=source, caller=caller, environ=environ)


def load_acceptance(path: str | Path | None = None) -> Acceptance:
    """The ``[acceptance]`` of ``path``, or of the nearest ``plansync.toml`` in the working
    folder or its parents, checked as :func:`load_config` checks it; the defaults where no
    config is found. What ``plansync parse`` reads notes by, so that it shows the items
    ``plan`` would see (a custom accepted status, decision heading or global filter).

    Only that table is read, and the names of ``[users]`` (who an ``@Ana de la Cruz`` is, see
    :attr:`AcceptancePolicy.owner_names`), not their values: a parse needs no backend, so an
    unset token, a user's e-mail in an unset variable or a mistake in ``[jira]`` is for
    ``plan`` and ``sync`` to name, not a reason to refuse a parse."""
    if path is None:
        try:
            path = find_config(Path.cwd())
        except ConfigError:
            return Acceptance()
    file = Path(os.path.abspath(os.path.expanduser(path)))
    raw = read_toml(file)
    table: dict[str, Any] = {"acceptance": raw.get("acceptance", {})}
    users = raw.get("users")
    if isinstance(users, dict):  # any other is for plan to name
        table["users"] = {name: {} for name in users}
    return _checked(table, file).acceptance


def read_toml(file: Path) -> dict[str, Any]:
    """The TOML of the config ``file``, each way it can fail named as a :class:`ConfigError`."""
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{file}: no such config file", source=file) from exc
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror or exc})", source=file) from exc
    try:
        # utf-8-sig: Windows editors save UTF-8 with a byte-order mark, which TOML would
        # report as an invalid statement at line 1, column 1, where nothing shows.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.object  # without the byte-order mark, which exc.start does not count
        line = bad.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{file}: not UTF-8 (byte 0x{bad[exc.start]:02x} at line {line}); save it as UTF-8",
            source=file,
            line=line,
        ) from None
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        said = str(exc)
        at = _toml_line(said)
        if said.endswith(END_OF_DOCUMENT):
            at = _unclosed_from(text)
            said = f"{said[: -len(END_OF_DOCUMENT)]}(at end of document; it starts on line"
            said += f" {at})"
        raise ConfigError(f"{file}: not valid TOML: {said}", source=file, line=at) from exc
    return raw


def _toml_line(said: str) -> int | None:
    """The line a :mod:`tomllib` error's message names (``... (at line 3, column 7)``): its
    exception has no ``lineno`` before Python 3.14."""
    found = re.search(r"\(at line (\d+), column \d+\)$", said)
    return int(found[1]) if found else None


END_OF_DOCUMENT = "(at end of document)"
"""How :mod:`tomllib` ends the message of an error it met at the end of the text (a construct
left unclosed), with no line: :func:`read_toml` names the line the construct starts on, so
that ``Unclosed array`` does not leave the reader to look through the file for the ``[``."""


def _unclosed_from(text: str) -> int:
    """The line on which the construct a TOML parse found unclosed at the end of ``text``
    starts: the line after the longest run of whole lines from the top that parses. Every
    longer run holds that construct's start and not its end, as a parse reads it the same way
    in any run; a shorter one may end inside an earlier construct, closed later. Read again
    line by line only for such an error, in a config of some hundred lines at most."""
    lines = text.split("\n")  # as TOML counts them: U+2028 in a string ends no line
    for whole in range(len(lines) - 1, 0, -1):
        try:
            tomllib.loads("\n".join(lines[:whole]))
        except tomllib.TOMLDecodeError:
            continue
        return whole + 1
    return 1


def config_from_dict(
    raw: dict[str, Any],
    *,
    source: Path | None = None,
    caller: Caller = LIBRARY,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The config ``raw`` says, checked (see :func:`_checked`) and routing every item
    somewhere; its ``${VAR}`` references read ``environ`` (default: the process's), and its
    messages name what to run in ``caller``'s words."""
    config = _checked(raw, source, environ)
    config._caller = caller
    config.check_routes()
    return config


def _checked(
    raw: dict[str, Any], source: Path | None, environ: Mapping[str, str] | None = None
) -> Config:
    """The config ``raw`` says, its ``${ENV}`` references filled in and each mistake named,
    whether or not it routes any item anywhere (:meth:`Config.check_routes`)."""
    where = str(source) if source else "config"
    missing: list[tuple[str, str]] = []
    malformed: list[tuple[str, str]] = []
    data = interpolate(raw, missing, malformed=malformed, environ=environ)
    unset = ", ".join(f"{key} (${{{variable}}})" for key, variable in missing)
    unset_keys = {key for key, _ in missing}
    if malformed:
        raise ConfigError(
            f"{where}: not an environment reference (write ${{NAME}} or ${{NAME:-default}}):"
            f" {', '.join(f'{key} ({text})' for key, text in malformed)}",
            source=source,
            key=malformed[0][0],
        )
    try:
        config = validate_raw(Config, {**data, "source": source})
    except ValidationError as exc:
        # A key whose variable is unset is empty, and may be invalid for that: the unset
        # variable is the problem to name there, not the empty value.
        # An unknown key is named all the same: its variable being unset is not the problem.
        # A check of the table as a whole (auth = 'session' needs session_id) may be failed by
        # an unset variable too, so the unset ones are always named with the rest.
        errors = [
            e
            for e in exc.errors()
            if e["type"] == "extra_forbidden" or key_of(tuple(e["loc"])) not in unset_keys
        ]
        if not errors:
            raise_alone(
                ConfigError(
                    f"{where}: environment variables not set: {unset}",
                    source=source,
                    key=missing[0][0],
                )
            )
        problems = "\n".join(f"  {describe(e, Config)}" for e in errors)
        if missing:
            problems += f"\n  environment variables not set: {unset}"
        raise_alone(
            ConfigError(
                f"{where}: invalid config:\n{problems}",
                source=source,
                key=key_of(tuple(errors[0]["loc"])) or None,
            )
        )
    # Credentials matter only for a real backend; ``url = "${JIRA_URL:-}"`` opts into the
    # sandbox, but an unset ``${JIRA_URL}`` without a default is a mistake, not such a wish:
    # the backend is a real one whose URL is missing, so its unset credentials are named with
    # it, rather than found one run later.
    sandboxed = {
        name
        for name in config.embedded | config.left_out
        if URL_SETTINGS[name][0] not in unset_keys
    }
    needed = [
        (key, variable)
        for key, variable in missing
        if not any(key.startswith(f"{name}.") for name in sandboxed)
    ]
    if needed:
        said = ", ".join(f"{key} (${{{variable}}})" for key, variable in needed)
        raise ConfigError(
            f"{where}: environment variables not set: {said}", source=source, key=needed[0][0]
        )
    return config


def find_config(start: Path, caller: Caller = LIBRARY) -> Path:
    """The nearest config in ``start`` or its parents; a ConfigError in ``caller``'s words
    where there is none."""
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    starter = f" (run `{caller.starter}`)" if caller.starter else ""
    raise ConfigError(f"no {CONFIG_NAME} in {start} or its parents{starter}")
