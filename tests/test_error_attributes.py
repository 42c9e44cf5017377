"""What an error's message names (the config file, its line and key; the note; the state
store's file; the lock's holder) is data on the error too, so that a tool need not parse the
message: an editor marks the line, a service answers with the key to fix."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import plansync


def test_a_config_file_that_is_not_toml_names_its_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "plansync.toml"
    config.write_text('[vault]\npath = "."\n\n[jira\nurl = "http://x"\n')
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.load_config(config)
    assert (bad.value.source, bad.value.line, bad.value.key) == (config, 4, None)
    assert "line 4" in str(bad.value)


def test_a_config_left_unclosed_names_the_line_it_starts_on(tmp_path: Path) -> None:
    config = tmp_path / "plansync.toml"
    config.write_text('[vault]\npath = "."\nexclude = [\n  "Templates",\n')
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.load_config(config)
    assert (bad.value.source, bad.value.line) == (config, 3)


def test_a_config_file_that_is_not_utf_8_names_its_line(tmp_path: Path) -> None:
    config = tmp_path / "plansync.toml"
    config.write_bytes(b'[vault]\npath = "caf\xe9"\n')
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.load_config(config)
    assert (bad.value.source, bad.value.line) == (config, 2)


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.load_config(tmp_path / "none.toml")
    assert bad.value.source == tmp_path / "none.toml"


def test_a_key_with_a_wrong_value_is_named_by_its_key_and_not_its_value(tmp_path: Path) -> None:
    config = tmp_path / "plansync.toml"
    config.write_text(
        '[jira]\nurl = "http://127.0.0.1:1"\ntoken = "s3cret-token"\nmax_retries = "many"\n'
        '[[rules]]\nproject = "PLAN"\n'
    )
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.load_config(config)
    assert (bad.value.source, bad.value.key, bad.value.line) == (config, "jira.max_retries", None)
    assert "s3cret-token" not in repr(vars(bad.value))


def test_an_unset_variable_names_the_key_that_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLANSYNC_TEST_TOKEN", raising=False)
    config = tmp_path / "plansync.toml"
    config.write_text(
        '[jira]\nurl = "http://127.0.0.1:1"\ntoken = "${PLANSYNC_TEST_TOKEN}"\n'
        '[[rules]]\nproject = "PLAN"\n'
    )
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.load_config(config)
    assert (bad.value.source, bad.value.key) == (config, "jira.token")


def test_a_vault_path_that_is_no_folder_is_named_by_its_key(tmp_path: Path) -> None:
    config = tmp_path / "plansync.toml"
    config.write_text('[vault]\npath = "missing"\n[[rules]]\nproject = "PLAN"\n')
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.plan(plansync.load_config(config))
    assert (bad.value.source, bad.value.key) == (config, "vault.path")


def test_settings_built_in_code_name_the_key_and_no_file() -> None:
    with pytest.raises(plansync.ConfigError) as bad:
        plansync.AcceptancePolicy(global_filter=3)  # type: ignore[arg-type]
    assert (bad.value.source, bad.value.key) == (None, "global_filter")


def test_a_damaged_state_store_names_its_file(tmp_path: Path) -> None:
    from plansync.engine.run_lock import open_state

    (tmp_path / "state.db").write_bytes(b"not a database, " * 512)
    with pytest.raises(plansync.StateError) as damaged, open_state(tmp_path):
        pass
    assert damaged.value.path == tmp_path / "state.db"
    assert isinstance(damaged.value, sqlite3.DatabaseError)


def test_a_state_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    from plansync.engine.run_lock import open_state

    (tmp_path / ".plansync").write_text("")
    with pytest.raises(plansync.StateError) as refused, open_state(tmp_path / ".plansync"):
        pass
    assert refused.value.path == tmp_path / ".plansync"


def test_a_lock_names_its_file_and_holder(tmp_path: Path) -> None:
    from plansync.engine.run_lock import open_state

    with open_state(tmp_path), pytest.raises(plansync.StateLocked) as held, open_state(tmp_path):
        pass
    assert (held.value.path, held.value.pid) == (tmp_path / "lock", os.getpid())
