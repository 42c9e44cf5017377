"""An owner whose name holds words with no capital is read whole when the config names them.

``@Ana de la Cruz``, ``@Ludwig van Beethoven``, ``@Rui dos Santos``: the rule for a mention (the
words after the "@" that start with a capital) read "Ana", and "de la Cruz" stayed in the
item's text, so the owner mapped to no one in [users] though [users] named her. The names of
[users] are now read whole, longest first, wherever they follow an "@"; a name the rule reads
whole anyway costs nothing. No rule of particles: "@João da TI" ("João from IT") or "@Ana de
facto owns it" would become names, and an owner [users] maps ("João") one it does not.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ExampleProject, replace_once

import plansync
from plansync.cli import main
from plansync.config import ConfigError
from plansync.config_load import config_from_dict, load_acceptance, load_config
from plansync.notes.mentions import mention, owner_names
from plansync.notes.model import AcceptancePolicy
from plansync.notes.parse import parse_text
from plansync.notes.reread import reread_keys

PEOPLE = ("Ana de la Cruz", "Ludwig van Beethoven", "Rui dos Santos", "Dana", "Priya Raman")
POLICY = AcceptancePolicy(owner_names=PEOPLE)


def read(line: str, policy: AcceptancePolicy = POLICY) -> tuple[str, str | None]:
    (item,) = parse_text(line + "\n", path="m.md", policy=policy).items
    return item.text, item.owner


@pytest.mark.parametrize(
    ("line", "text", "owner"),
    [
        (
            "- [ ] Draft the plan @Ana de la Cruz 📅 2025-10-27 ⏫",
            "Draft the plan",
            "Ana de la Cruz",
        ),
        ("- [ ] Tune it @Ludwig van Beethoven #music", "Tune it", "Ludwig van Beethoven"),
        ("- [ ] Ask @Rui dos Santos.", "Ask.", "Rui dos Santos"),
        # Not the last mention: the name stays in the text, without its "@".
        ("- [ ] Ask @Ana de la Cruz about it", "Ask Ana de la Cruz about it", "Ana de la Cruz"),
        ("- [ ] Merge @Ana de la Cruz's draft", "Merge Ana de la Cruz's draft", "Ana de la Cruz"),
        # The last mention is the owner, as before.
        (
            "- [ ] Pair @Ana de la Cruz with @Rui dos Santos",
            "Pair @Ana de la Cruz with",
            "Rui dos Santos",
        ),
        # Read on after the name as after a capitalised word: whom "@Ana Cruz López" names.
        ("- [ ] Ask @Ana de la Cruz López", "Ask", "Ana de la Cruz López"),
    ],
)
def test_a_configured_name_is_read_whole(line: str, text: str, owner: str) -> None:
    assert read(line) == (text, owner)


@pytest.mark.parametrize(
    ("line", "text", "owner"),
    [
        # Words that only start like a configured name: the rule's reading, as before.
        ("- [ ] Ask @Ana de facto owns it", "Ask Ana de facto owns it", "Ana"),
        ("- [ ] Ask @Ana de la Cruzado", "Ask Ana de la Cruzado", "Ana"),
        ("- [ ] Ask @Ana de la Cruz-Smith", "Ask Ana de la Cruz-Smith", "Ana"),
        # A configured name never cuts a longer reading short: Dana Okafor is not [users]' Dana.
        ("- [ ] Call @Dana Okafor", "Call", "Dana Okafor"),
        ("- [ ] Call @Dana", "Call", "Dana"),
        # No mention after a letter or a "/", configured or not.
        ("- [ ] Mail ana@Ana de la Cruz", "Mail ana@Ana de la Cruz", None),
        ("- [ ] Read https://x.com/@Ana de la Cruz", "Read https://x.com/@Ana de la Cruz", None),
        # Names are matched as [users] spells them (its keys are): another case is the rule's.
        ("- [ ] Ask @ana de la cruz", "Ask ana de la cruz", "ana"),
    ],
)
def test_no_more_than_a_configured_name_is_read(line: str, text: str, owner: str | None) -> None:
    assert read(line) == (text, owner)


def test_without_the_names_the_rule_reads_the_capitalised_words_as_before() -> None:
    line = "- [ ] Draft the plan @Ana de la Cruz"
    assert read(line, AcceptancePolicy()) == ("Draft the plan Ana de la Cruz", "Ana")


def test_the_longest_configured_name_wins() -> None:
    policy = AcceptancePolicy(owner_names=("Ana de la", "Ana de la Cruz"))
    assert read("- [ ] Ask @Ana de la Cruz", policy) == ("Ask", "Ana de la Cruz")
    assert read("- [ ] Ask @Ana de la Vega", policy) == ("Ask", "Ana de la Vega")
    assert read("- [ ] Ask @Ana de la", policy) == ("Ask", "Ana de la")


def test_a_name_in_nfd_is_read_whole_as_in_nfc_and_kept_as_written() -> None:
    """macOS and some copy-paste spell "é" as "e" and U+0301; [users] matches either."""
    nfc = "Émile de Sérévillé"
    nfd = unicodedata.normalize("NFD", nfc)
    for configured in (nfc, nfd):
        policy = AcceptancePolicy(owner_names=(configured,))
        for written in (nfc, nfd):
            assert read(f"- [ ] Ask @{written}", policy) == ("Ask", written)


def test_names_the_rule_reads_whole_anyway_cost_nothing() -> None:
    """Capitalised words and handles need no pattern: the common config adds no work."""
    assert owner_names(("Dana Okafor", "Lucía Herrera", "dokafor", "j.smith", "a@b.com")) is None
    pattern = owner_names(PEOPLE)
    assert pattern is not None
    assert mention("@Dana Okafor", 0, pattern) == mention("@Dana Okafor", 0)


def test_words_after_the_key_link_do_not_move_the_owner() -> None:
    """Sync writes the key after the owner's mention; words typed after it since are the text's
    (see notes.item_text.item_text): so for a name read whole too."""
    line = (
        "- [ ] Update the runbook @Ana de la Cruz"
        " [PLAN-3](https://jira.example.com/browse/PLAN-3) for the new cluster ^ps-abc123"
    )
    (item,) = parse_text(line + "\n", policy=POLICY).items
    reread = reread_keys(item, line, {"jira": "PLAN-3"}, POLICY)
    assert (reread.text, reread.owner, reread.keys) == (
        "Update the runbook for the new cluster",
        "Ana de la Cruz",
        {"jira": "PLAN-3"},
    )


# --- the config --------------------------------------------------------------------------------


def test_a_configs_users_are_the_names_its_notes_are_read_by(tmp_path: Path) -> None:
    config = config_from_dict(
        {
            "users": {"Ana de la Cruz": {"jira": "ana-acct"}, "Dana": {"email": "d@x.com"}},
            "rules": [{"project": "PLAN"}],
        }
    )
    assert config.acceptance.owner_names == ("Ana de la Cruz", "Dana")
    with pytest.raises(ConfigError, match=r"acceptance.owner_names.*come from \[users\]"):
        config_from_dict(
            {"acceptance": {"owner_names": ["Ana de la Cruz"]}, "rules": [{"project": "PLAN"}]}
        )


def test_plansync_parse_reads_the_users_names_without_their_values(
    tmp_path: Path, clean_env: None
) -> None:
    """Only [users]' names: an e-mail in a variable not set, or a token, stops no parse."""
    config = tmp_path / "plansync.toml"
    config.write_text(
        '[jira]\nurl = "${JIRA_URL}"\ntoken = "${JIRA_API_TOKEN}"\n'
        '[users]\n"Ana de la Cruz" = { email = "${ANA_EMAIL}" }\n',
        "utf-8",
    )
    assert load_acceptance(config).owner_names == ("Ana de la Cruz",)
    note = tmp_path / "m.md"
    note.write_text("- [ ] Draft the plan @Ana de la Cruz 📅 2025-10-27\n", "utf-8")
    out = CliRunner().invoke(main, ["parse", "--json", "--config", str(config), str(note)])
    assert out.exit_code == 0, out.output
    (item,) = json.loads(out.output)["notes"][0]["items"]
    assert (item["text"], item["owner"]) == ("Draft the plan", "Ana de la Cruz")
    config.write_text('users = "not a table"\n', "utf-8")  # for plan to name
    assert load_acceptance(config).owner_names == ()


def test_the_owner_maps_to_its_user_and_a_synced_line_plans_clean(
    example_project: ExampleProject,
) -> None:
    replace_once(
        example_project.config_path,
        "[users]\n",
        # One of the sandbox's users, whom it knows by that e-mail.
        '[users]\n"Ana de la Cruz" = { email = "tomer@example.com" }\n',
    )
    (example_project.vault / "hallway.md").write_text(
        "- [ ] Book the room @Ana de la Cruz 📅 2025-11-20\n", "utf-8"
    )
    config = load_config(example_project.config_path)
    plan = plansync.plan(config)
    (create,) = [c for c in plan.changes if c.action == "create" and c.item.note == "hallway.md"]
    assert create.fields["summary"] == "Book the room"
    assert create.fields["assignee"] in ("5b10ac8d82e05b22cc7d4ef5", "tomer")  # Cloud, DC
    assert "Owner: Ana de la Cruz\n" in create.fields["description"]
    assert not [w for w in plan.warnings if w.startswith("hallway.md")]
    assert plansync.apply(config, plan).ok
    line = (example_project.vault / "hallway.md").read_text("utf-8")
    assert "@Ana de la Cruz [PLAN-" in line  # the key after the owner's mention
    # Words typed after the key since: the text's, and the owner is still hers.
    replace_once(example_project.vault / "hallway.md", ") 📅", ") for the offsite 📅")
    changes = plansync.plan(config).changes
    assert [(c.action, c.fields["summary"]) for c in changes] == [
        ("update", {"old": "Book the room", "new": "Book the room for the offsite"})
    ]


@pytest.mark.parametrize(
    ("description", "owner", "meant"),
    [
        ("Tune it @Ludwig van Beethoven #music", "Ludwig", "Ludwig van Beethoven"),
        ("Book the hall @Ana de la Cruz", "Ana", "Ana de la Cruz"),
        ("Send the deck @Tom to the CFO", "Tom", None),
        ("Ask @Priya for the Q4 numbers", "Priya", None),
        ("Ping @Dana and the SRE team", "Dana", None),
        ("Ask about access @João da TI", "João", None),
        ("Call @Rui dos Santos, then @Ana", "Ana", None),  # the owner is the last mention
    ],
)
def test_an_unmapped_owner_s_warning_guesses_a_longer_name_only_from_name_particles(
    description: str, owner: str, meant: str | None
) -> None:
    """The warning's "or 'Ludwig van Beethoven' if that is who is meant" took any short words
    before a capitalised one, and offered "Tom to the CFO" as a name."""
    from plansync.engine.owners import _longer_name

    assert _longer_name(description, owner) == meant


@pytest.mark.parametrize(
    ("line", "text", "owner"),
    [
        ("- [ ] Owner wiki link @[[Tomer Hagay]] #task", "Owner wiki link", "Tomer Hagay"),
        (
            "- [ ] Owner wiki link @[[Tomer Hagay|Tomer]] 📅 2025-10-27",
            "Owner wiki link",
            "Tomer Hagay",
        ),
        ("- [ ] Owner wiki link @[[People/Tomer Hagay]]", "Owner wiki link", "Tomer Hagay"),
        ("- [ ] Ask @[[Ana de la Cruz]] about it", "Ask Ana de la Cruz about it", "Ana de la Cruz"),
        # Not a person's note: an embed, or a link to nothing.
        ("- [ ] Show @![[chart.png]]", "Show @chart.png", None),
        ("- [ ] Ask @[[]]", "Ask @", None),
    ],
)
def test_an_owner_written_as_a_link_to_a_person_s_note_is_that_person(
    line: str, text: str, owner: str | None
) -> None:
    # "@[[Tomer Hagay]]" read as no mention: the owner was dropped in silence, the issue left
    # unassigned, and the summary read "Owner wiki link @Tomer Hagay" (a user test).
    assert read(line) == (text, owner)
