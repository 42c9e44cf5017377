"""A config made in code, as a service or a pipeline makes one: it says where its state store
is, it reaches the embedded sandbox only when it says so, and a run it plans itself tells its
caller what the plan warned of (user tests of the library)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ExampleProject

import plansync
from plansync.config_load import config_from_dict
from plansync.connectors.jira import JiraConnector
from plansync.sandbox_choice import sandbox_notice


def _vault(root: Path) -> Path:
    """A vault of two notes, one of whose front matter cannot be read."""
    vault = root / "vault"
    vault.mkdir()
    (vault / "broken.md").write_text("---\ntitle: [oops\n---\n- [ ] Held back #task\n", "utf-8")
    (vault / "fine.md").write_text("- [ ] Draft the plan #task\n", "utf-8")
    return vault


def _in_code(vault: Path, **settings: object) -> plansync.Config:
    """A config made in code whose Jira URL comes from a variable left unset."""
    return plansync.Config(
        vault=plansync.VaultConfig(path=str(vault)),
        jira=plansync.JiraConfig(url="", user="me@example.com", token="t"),
        rules=[plansync.JiraRule(project="PLAN")],
        **settings,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("call", ["plan", "apply", "forget"])
def test_a_config_made_in_code_with_no_jira_url_is_refused_the_sandbox_unasked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    """``JiraConfig(url=os.environ.get("JIRA_URL", ""))`` with the variable unset planned and
    synced against the embedded sandbox, and wrote its keys into the real notes, said
    nowhere but in the plan's fingerprint."""
    monkeypatch.chdir(tmp_path)
    vault = _vault(tmp_path)
    before = (vault / "fine.md").read_bytes()
    config = _in_code(vault)
    with pytest.raises(plansync.ConfigError) as refused:
        getattr(plansync, call)(config)
    said = str(refused.value)
    assert said.startswith("config: 'jira.url' is empty, so this run would sync with the")
    assert "sandbox=True" in said
    assert (refused.value.key, refused.value.source) == ("jira.url", None)
    assert (vault / "fine.md").read_bytes() == before
    assert not (tmp_path / ".plansync" / "sandbox").exists()


def test_an_empty_salesforce_instance_is_refused_the_sandbox_unasked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for Salesforce: a config for it alone names its key only (its idle Jira,
    to which no rule sends items, is not the refusal's matter)."""
    monkeypatch.chdir(tmp_path)
    vault = _vault(tmp_path)
    alone = plansync.Config(
        vault=plansync.VaultConfig(path=str(vault)), salesforce=plansync.SalesforceConfig()
    )
    with pytest.raises(plansync.ConfigError, match=r"^config: 'salesforce.instance_url' is empty"):
        plansync.plan(alone)
    both = _in_code(vault, salesforce=plansync.SalesforceConfig())
    with pytest.raises(
        plansync.ConfigError, match=r"^config: 'jira.url' and 'salesforce.instance_url' are empty"
    ):
        plansync.plan(both)


def test_a_config_made_in_code_that_chooses_the_sandbox_gets_it_and_the_plan_says_so(
    tmp_path: Path,
) -> None:
    """Chosen, the sandbox is used; the plan says so first among its warnings and notices,
    where every caller reads it (its contract, ``plan --json``, too)."""
    vault = _vault(tmp_path)
    config = _in_code(vault, sandbox=True, folder=tmp_path)
    plan = plansync.plan(config)
    store = tmp_path / ".plansync" / "sandbox"
    notice = f"No Jira URL configured: using the embedded sandbox (state in {store})."
    assert plan.notices[0] == plan.warnings[0] == notice
    assert plan.notice_details[0] == plan.warning_details[0]
    assert plan.to_contract()["notices"][0] == notice
    assert plansync.apply(config, plan).ok
    assert "[PLAN-1](http://127.0.0.1:8990/browse/PLAN-1)" in (vault / "fine.md").read_text()


def test_a_config_file_with_an_empty_url_still_uses_the_sandbox_and_its_plan_says_so(
    example_project: ExampleProject,
) -> None:
    """A file chooses the sandbox by its empty URL (``"${JIRA_URL:-}"``, a trial): kept, with
    the notice in the plan as well as on the command line's stderr."""
    example_project.write_config(url="")
    config = plansync.load_config(example_project.config_path)
    plan = plansync.plan(config)
    assert plan.notices[0] == sandbox_notice(config)
    assert plansync.apply(config, plan).ok


def test_a_plan_against_a_given_connector_has_no_sandbox_notice(
    example_project: ExampleProject,
) -> None:
    """A connector given to the run is no sandbox of the config's, empty URL or not."""
    config = _in_code(example_project.vault)
    given = JiraConnector(**example_project.jira_values())  # type: ignore[arg-type]
    plan = plansync.plan(config, connector=given)
    assert not [line for line in plan.warnings if "embedded sandbox" in line]


def test_a_config_made_in_code_keeps_its_state_store_in_the_folder_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service started in / made /.plansync/state.db, and two vaults in one process needed
    os.chdir between their runs: ``folder`` says where a config made in code belongs, as a
    file's folder does, whatever the working folder (a relative one is made absolute when the
    config is made); without it, the working folder it was made in, as before."""
    monkeypatch.chdir(tmp_path)
    one, two = tmp_path / "one", tmp_path / "two"
    (one / "vault").mkdir(parents=True)
    (two / "vault").mkdir(parents=True)
    (one / "vault" / "a.md").write_text("- [ ] First #task\n", "utf-8")
    (two / "vault" / "b.md").write_text("- [ ] Second #task\n", "utf-8")
    first = _in_code(Path("vault"), sandbox=True, folder="one")
    second = _in_code(Path("vault"), sandbox=True, folder=two)
    monkeypatch.chdir(one / "vault")
    assert first.folder == one and first.state_dir == one / ".plansync"
    assert first.vault_root == (one / "vault").resolve()
    assert plansync.apply(first).ok and plansync.apply(second).ok
    assert (one / ".plansync" / "state.db").is_file()
    assert (two / ".plansync" / "state.db").is_file()
    assert not (tmp_path / ".plansync").exists() and not (one / "vault" / ".plansync").exists()
    assert _in_code(Path("vault")).state_dir == one / "vault" / ".plansync"  # the default


def test_a_config_file_cannot_name_a_folder_or_the_sandbox(tmp_path: Path) -> None:
    """Those are a config made in code's: a file's folder is the one it is in, and its empty
    URL chooses the sandbox."""
    for key, value in (("folder", "elsewhere"), ("sandbox", True)):
        with pytest.raises(plansync.ConfigError, match=f"'{key}': only for a Config made in code"):
            config_from_dict(
                {key: value, "rules": [{"project": "PLAN"}]}, source=tmp_path / "plansync.toml"
            )


def test_apply_without_a_plan_tells_its_caller_the_plan_s_warnings_once(
    tmp_path: Path,
) -> None:
    """A note whose front matter cannot be read is held back, its items shown as conflicts
    (never acted on): apply(config), planning itself, said so nowhere (result.ok, no
    warning). A caller who passed the plan, or saw it by ``confirm``, has read them there."""
    vault = _vault(tmp_path)
    config = _in_code(vault, sandbox=True, folder=tmp_path)
    result = plansync.apply(config)
    held = [line for line in result.warnings if line.startswith("broken.md:")]
    assert len(held) == 1 and "front matter is not valid YAML" in held[0]
    assert not [line for line in result.warnings if "embedded sandbox" in line]  # a notice

    (vault / "fine.md").write_text("- [ ] Another one #task\n", "utf-8")
    plan = plansync.plan(config)
    assert any(line.startswith("broken.md:") for line in plan.warnings)
    given = plansync.apply(config, plan)
    assert not [line for line in given.warnings if line in plan.warnings]
    (vault / "fine.md").write_text("- [ ] And one more #task\n", "utf-8")
    seen = plansync.apply(config, confirm=lambda _: True)
    assert seen is not None and not [line for line in seen.warnings if "broken.md" in line]


def test_loading_a_plan_s_review_json_is_not_a_plan_saying_what_saves_one(
    example_project: ExampleProject,
) -> None:
    """``plan --json`` (``Plan.to_contract()``) has no fingerprint: loaded, it was taken for a
    plan, and applying it was refused as stale, as if a sync had run since."""
    config = plansync.load_config(example_project.config_path)
    plan = plansync.plan(config)
    review = example_project.root / "review.json"
    review.write_text(json.dumps(plan.to_contract()), "utf-8")
    with pytest.raises(plansync.NotAPlan) as refused:
        plansync.Plan.load(review)
    assert str(refused.value) == (
        f"{review} is a plan's review JSON (`plan --json`, `Plan.to_contract()`), not a saved"
        " plan: it leaves out what a sync needs to apply it; save one with"
        f" `plansync.plan(config).save({str(review)!r})`"
    )
    saved = example_project.root / "plan.json"
    plan.save(saved)
    assert plansync.Plan.load(saved) == plan


def test_a_config_copied_with_an_update_is_checked_as_one_built_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pydantic's ``model_copy`` sets an update's values as given: ``folder="svc"`` stayed the
    text "svc" (``state_dir`` failed: str / str), ``users`` left the policy without their
    names, and a table given as a dict stayed a dict. Checked, each is what the constructor
    makes of it; the copy keeps the folder the original was made in."""
    monkeypatch.chdir(tmp_path)
    made = _in_code(Path("vault"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    moved = made.model_copy(update={"folder": "svc"})
    assert moved.folder == elsewhere / "svc" and moved.state_dir == elsewhere / "svc" / ".plansync"
    named = made.model_copy(update={"users": {"Ana de la Cruz": {"jira": "ana"}}})
    assert named.acceptance.owner_names == ("Ana de la Cruz",)
    [item] = plansync.parse_text("- [ ] Plan @Ana de la Cruz", policy=named.acceptance).items
    assert item.owner == "Ana de la Cruz"
    real = made.model_copy(update={"jira": {"url": "https://jira.example.test/", "token": "t"}})
    assert isinstance(real.jira, plansync.JiraConfig)
    assert real.jira.url == "https://jira.example.test"
    assert real.state_dir == made.state_dir == tmp_path / ".plansync"  # made in tmp_path
    assert made.model_copy().state_dir == tmp_path / ".plansync"
    with pytest.raises(plansync.ConfigError) as refused:
        made.model_copy(update={"jira": {"max_retries": "lots"}})
    assert refused.value.key == "jira.max_retries"
    assert made.jira.max_retries == plansync.JiraConfig().max_retries  # the original as it was


def test_a_table_copied_with_an_update_is_checked_as_one_built_so(tmp_path: Path) -> None:
    """A table's ``model_copy`` was pydantic's, which checks nothing: ``max_retries="lots"``
    reached the connector, a URL kept its trailing slash. It is checked as a Config's copy
    is; an Acceptance's copy keeps the owners' names its Config read from [users], which it
    refuses given."""
    jira = plansync.JiraConfig(url="https://jira.example.test", token="t")
    with pytest.raises(plansync.ConfigError) as refused:
        jira.model_copy(update={"max_retries": "lots"})
    assert refused.value.key == "max_retries"
    assert jira.model_copy(update={"url": "https://other.example.test/"}).url == (
        "https://other.example.test"
    )
    policy = plansync.AcceptancePolicy(owner_names=["Ana de la Cruz"])
    with pytest.raises(plansync.ConfigError) as refused:
        policy.model_copy(update={"accepted_statuses": ["done"]})
    assert refused.value.key == "accepted_statuses"
    assert policy.model_copy(update={"global_filter": "#task"}).owner_names == ("Ana de la Cruz",)
    config = _in_code(tmp_path, users={"Ana de la Cruz": {"jira": "ana"}})
    copied = config.acceptance.model_copy(update={"global_filter": "#task"})
    assert (copied.global_filter, copied.owner_names) == ("#task", ("Ana de la Cruz",))
    with pytest.raises(plansync.ConfigError, match="owner names come from \\[users\\]"):
        config.acceptance.model_copy(update={"owner_names": ("Dana",)})
    with pytest.raises(plansync.ConfigError) as refused:
        config.acceptance.model_copy(update={"accept_tag": "accepted now"})
    assert refused.value.key == "acceptance.accept_tag"  # where the copied table stands


def test_a_file_s_config_copied_keeps_its_words_and_is_refused_a_code_only_setting(
    tmp_path: Path,
) -> None:
    """A copy of the command line's config named commands in the library's words, and
    ``sandbox=True`` slipped past the refusal a file's config gets at its constructor."""
    from plansync.callers import CommandLine
    from plansync.config_load import read_config

    (tmp_path / "plansync.toml").write_text('[[rules]]\nproject = "PLAN"\n', "utf-8")
    read = read_config(tmp_path / "plansync.toml", caller=CommandLine())
    assert read.model_copy(update={"myself": "me@example.com"}).caller is read.caller
    with pytest.raises(plansync.ConfigError, match="'sandbox': only for a Config made in code"):
        read.model_copy(update={"sandbox": True})
