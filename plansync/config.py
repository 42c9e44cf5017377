"""``plansync.toml``'s settings: the pydantic models of its tables and what they check.

A secret setting is a :class:`pydantic.SecretStr`, so neither ``repr`` nor a validation error
shows it. Every table forbids unknown keys, and a typo is reported with the closest valid key,
because a silently ignored ``isue_type`` is worse than an error. Reading a file into them (its
TOML, its ``${ENV}`` references, the errors that name its keys) is
:mod:`plansync.config_load`'s.
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from plansync.callers import LIBRARY, Caller
from plansync.connectors.base import StatusValue
from plansync.connectors.salesforce_names import SF_API_NAME, SF_API_VERSION, SfAuth, SfSetting
from plansync.errors import ConfigError
from plansync.notes.model import AcceptancePolicy, Kind, Priority, nfc, tag_as_written
from plansync.placeholders import check_template
from plansync.redact import REDACTED, redact
from plansync.settings import Settings, unknown_key
from plansync.sites import on_this_machine

TEMPLATE_FIELDS = frozenset(
    {
        "text",
        "details",
        "owner",
        "due",
        "priority",
        "tags",
        "block_id",
        "section",
        "note_title",
        "note_date",
        "note_path",
        "participants",
        "link",
        "account",
    }
)

NOTE_URL_FIELDS = frozenset({"vault", "file", "block_id"})
JIRA_CONFLICT_FIELDS = ("summary", "description", "due", "priority", "assignee", "components")
"""The Jira fields a change on both sides can conflict in: those of ``rules.jira_fields`` but
``project`` and ``issue_type`` (never changed) and ``labels`` (merged, never a conflict)."""
LINK_TITLE_FIELDS = frozenset({"note_title", "note_path"})

# The parts about the meeting, and the owner's line, are left out when the note gives no value
# for them (see placeholders.Filled), so that no issue says "... on ." or "Owner: " with nothing
# after it. So is a decision's details (its sub-bullets), a list after its text, where it has
# none. An item whose note gives every part renders byte for byte as the template without
# conditional parts would, so that no record an earlier plansync synced is rewritten.
DEFAULT_DESCRIPTION = (
    "{text}\n\n"
    "{details:?{details}\n\n}"
    "From the meeting [{note_title}|{link}]{note_date:? on {note_date}}.\n"
    "{participants:?Participants: {participants}\n}"
    "{owner:?Owner: {owner}\n}\n"
    "_Synced by plansync from {note_path}._"
)


BACKEND_TITLES = {"jira": "Jira", "salesforce": "Salesforce"}
# The setting that names each backend, and the variable the starter config reads it from.
URL_SETTINGS = {
    "jira": ("jira.url", "JIRA_URL"),
    "salesforce": ("salesforce.instance_url", "SF_INSTANCE_URL"),
}


class Strict(Settings):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _not_a_boolean(value: Any) -> Any:
    """A number setting given true or false is a mistake, not 1 or 0 (pydantic takes it)."""
    if isinstance(value, bool):
        raise ValueError(f"a number is needed, not {str(value).lower()}")
    return value


Number = Annotated[float, BeforeValidator(_not_a_boolean)]
"""A number setting: a TOML number, or the text of one (``"${TIMEOUT}"``), but no boolean."""
Count = Annotated[int, BeforeValidator(_not_a_boolean)]
"""A whole-number setting, as :data:`Number`."""


def _base_url(value: str, credentials: str) -> str:
    """A backend's base URL without its trailing slash; empty (the sandbox) or http(s) with a
    host, else an error here rather than requests' "No scheme supplied" at the first request.
    ``credentials`` says where the user and password go instead of into the URL."""
    url = value.strip().rstrip("/")
    if not url:
        return url
    # A password may hold "/", "?" or "#", which end the host for urlsplit and redact
    # ("https://me:ab/cd@host" reads as host "me", port "ab"), so the host is what follows the
    # last "@": no Jira or Salesforce base URL has an "@" of its own, and nothing before the
    # last one is ever quoted.
    scheme, sep, _ = url.rpartition("@")[0].partition("://")
    scheme, host = (scheme + sep if sep else ""), url.rpartition("@")[2]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = f"{scheme}{REDACTED}@{host}" if "@" in url else redact(value)
        raise ValueError(f"not an http:// or https:// URL with a host: {shown!r}")
    if "@" in url:
        # Refused, not stripped: the settings keep the URL as given, so a password in it
        # would show in repr(config) and model_dump, which show a token as '**********'.
        raise ValueError(
            f"a base URL has no user name or password in it: write {scheme + host!r},"
            f" and the credentials in {credentials}"
        )
    if parts.query or parts.fragment or "?" in url or "#" in url:
        # API paths are appended to it, so they would land inside the query; and a query
        # may carry a token, which every error message quoting the URL would print.
        bare = parts._replace(query="", fragment="").geturl()
        raise ValueError(f"a base URL has no ?query or #fragment: write {bare!r}")
    return url


def _checked_base_url(credentials: str) -> AfterValidator:
    """The check of a backend's base URL setting (:func:`_base_url`), whose user and password
    go in ``credentials`` instead."""
    return AfterValidator(partial(_base_url, credentials=credentials))


_JIRA_CREDENTIALS = "'jira.user' and 'jira.token'"
SALESFORCE_CREDENTIALS = "the [salesforce] keys its auth needs (such as 'salesforce.username')"


def _trimmed(value: Any) -> Any:
    """A credential without the spaces and line breaks around it. A token read from a file or
    a mounted secret (``$(cat token)`` keeps none, a Kubernetes secret made with
    ``--from-file`` does) often ends in a newline, which is never part of it: in a bearer
    header it makes ``http.client`` raise with the token in the message, and in basic auth
    Jira says only that the credentials are wrong."""
    return value.strip() if isinstance(value, str) else value


if TYPE_CHECKING:

    class Secret(SecretStr):
        """A secret setting as a type checker reads it: given as text or as a ``SecretStr``
        (``JiraConfig(token=os.environ["JIRA_TOKEN"])``, which pydantic takes), read as a
        ``SecretStr``. A field typed ``SecretStr`` alone makes that call an error under
        ``mypy --strict`` for a library caller, though it works. A field whose type has a
        ``__set__`` is set, in ``__init__`` too, with what that takes (the typing spec's
        "descriptor-typed fields" of a dataclass transform, which pydantic's models are)."""

        def __get__(self, instance: object, owner: object = None) -> SecretStr: ...
        def __set__(self, instance: object, value: SecretStr | str) -> None: ...

else:
    Secret = SecretStr  # what pydantic reads, and what the setting holds at run time

Credential = Annotated[str, BeforeValidator(_trimmed)]
"""A credential setting that is no secret (a user name), trimmed: see :func:`_trimmed`."""
SecretCredential = Annotated[Secret, BeforeValidator(_trimmed)]
"""A secret credential setting (a token, a key), trimmed: see :func:`_trimmed`."""


if TYPE_CHECKING:

    class Folder:
        """A folder setting as a type checker reads it: given as text or a path
        (``Config(folder="/srv/sync")``, which pydantic takes), read as a ``Path`` or None
        (see :class:`Secret` for why a descriptor)."""

        def __get__(self, instance: object, owner: object = None) -> Path | None: ...
        def __set__(self, instance: object, value: str | os.PathLike[str] | None) -> None: ...

else:
    Folder = Path | None  # what pydantic reads, and what the setting holds at run time


def _version_text(value: Any) -> Any:
    """An API version written as a TOML number (``api_version = 59.0``, ``= 3``) read as the
    text it means, rather than refused as "Input should be a valid string", or as "should be
    '2' or '3'" for the 3 the user wrote."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


_VERSION_AS_TEXT = BeforeValidator(_version_text)
"""An API version setting's: see :func:`_version_text`."""


TEMPLATE_FOLDERS = ["**/templates/**", "**/Templates/**"]
"""What ``vault.exclude`` leaves out unless set (``plansync init`` writes the same): templates
folders at any depth, where a vault keeps them (``00 Meta/Templates/``). A template's checkbox
lines (``- [ ] Send recap of <% tp.file.title %>``) are no one's work, and would be synced."""


def _expand_home(path: Path) -> Path:
    """``path`` with its ``~`` expanded; a ``ValueError`` (which the settings name by key)
    when the ``~`` names no home folder known here, not ``expanduser``'s ``RuntimeError``,
    which no ``except plansync.PlansyncError`` catches."""
    try:
        return path.expanduser()
    except RuntimeError:  # "~name" of no such user, or a "~" with no home folder known
        raise ValueError(f"{str(path)!r}: its ~ names no home folder known here") from None


class VaultConfig(Strict):
    """The config's ``[vault]``: the folder of the notes (``path``, relative to the config's
    folder, or to the working folder for a config built in code), the notes read in it
    (``include``; ``exclude``, by default :data:`TEMPLATE_FOLDERS`, the templates folders,
    as ``plansync init`` writes it: unlike ``plansync.scan_vault``, which leaves out only what
    it is told to), its Obsidian ``name`` and the link an item's record carries back to its
    line (``note_url``). ``VaultConfig()`` is the notes of the working folder but templates."""

    path: str = "."
    name: str | None = Field(default=None, description="Obsidian vault name for obsidian:// links")
    include: list[str] = Field(default_factory=lambda: ["**/*.md"])
    exclude: list[str] = Field(default_factory=lambda: list(TEMPLATE_FOLDERS))
    note_url: str = Field(
        default="obsidian://open?vault={vault}&file={file}%23%5E{block_id}",
        description="link to an item's line; {vault}, {file} (URL-encoded path), {block_id}",
    )

    @field_validator("path")
    @classmethod
    def _home_known(cls, value: str) -> str:
        """Kept as given (relative to the config's folder, read there); refused here when its
        ``~`` names no home folder, rather than by :attr:`Config.vault_root` at each use."""
        _expand_home(Path(value))
        return value

    @field_validator("note_url")
    @classmethod
    def _note_url(cls, value: str) -> str:
        return check_template(value, NOTE_URL_FIELDS, conditional=False)


class UserEntry(Strict):
    """How an owner written in a note maps to accounts: explicit ids win over an email lookup."""

    jira: str | None = Field(default=None, description="Cloud accountId or Data Center user name")
    email: str | None = None
    salesforce: str | None = None


class RequestSettings(Strict):
    """How a backend's requests are sent: how long they may take and be retried (a cron sync
    may wait out a rate limit that a person at the terminal would rather see fail), and which
    CA their TLS trusts (a Jira Data Center or a proxy whose certificate a company's own CA
    signed)."""

    timeout: Number = Field(default=30.0, gt=0, description="seconds per request")
    max_retries: Count = Field(
        default=5,
        ge=0,
        le=20,
        description="times a request is sent again after a rate limit, a 503 or a dropped"
        " connection",
    )
    max_backoff: Number = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="the longest wait before a retry, in seconds: a backend that asks to wait"
        " longer (Retry-After) fails the call at once",
    )
    ca_bundle: str = Field(
        default="",
        description="a CA file (PEM) to trust instead of the system's CAs, relative to the"
        " config's folder (unset: the system's, or REQUESTS_CA_BUNDLE's)",
    )


class JiraConfig(RequestSettings):
    url: Annotated[str, _checked_base_url(_JIRA_CREDENTIALS)] = Field(
        default="", description="empty: the embedded sandbox"
    )
    user: Credential = ""
    token: SecretCredential = Secret("")
    deployment: Literal["auto", "cloud", "dc"] = "auto"
    api_version: Annotated[Literal["2", "3"], _VERSION_AS_TEXT] = "2"
    cancel_transition: str | None = None
    cancelled_status_names: list[str] | None = Field(
        default=None,
        description="the closed statuses that mean cancelled, any other closed one done"
        " (unset: told by name, as Won't Do or the status cancel_transition leads to)",
    )
    link_title: str = "{note_title}"

    @field_validator("cancelled_status_names")
    @classmethod
    def _cancelled_status_names(cls, value: list[str] | None) -> list[str] | None:
        """Status names, trimmed (the connector compares them ignoring case and the spaces
        around them). An empty list is refused: it would make every closed issue read as
        done, the very misreading the setting is there to end; so is an empty name, which
        no status has (most often a variable left unset)."""
        if value is None:
            return None
        names = [name.strip() for name in value]
        if not names:
            raise ValueError(
                "names no status: list the closed statuses that mean cancelled, such as"
                ' ["Declined"], or leave the key out'
            )
        if "" in names:
            raise ValueError(f"an empty status name in {value!r}: each must name a status")
        return names

    @field_validator("link_title")
    @classmethod
    def _link_title(cls, value: str) -> str:
        return check_template(value, LINK_TITLE_FIELDS, conditional=False)


class Match(Strict):
    """Which accepted items a rule takes: by kind and tags (case-insensitive, with ``#``; a
    nested tag is its parent's too, as in Obsidian's search: ``#personal/admin`` is
    ``#personal``).

    ``kind``: ``"action"`` (a task line), ``"decision"`` (a line under a decisions heading),
    or both; ``Match()`` takes action items only, as a rule's missing ``match`` does: a
    decision is sent only where a rule names it. ``tags_any``: the item carries one of them
    (empty: any item); ``tags_none``: it carries none of them."""

    kind: list[Kind] = Field(default_factory=lambda: list[Kind](["action"]))
    tags_any: list[str] = Field(default_factory=list)
    tags_none: list[str] = Field(default_factory=list)

    @field_validator("tags_any", "tags_none")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return [tag_as_written(tag) for tag in value]


class Acceptance(AcceptancePolicy):
    """The parser's :class:`AcceptancePolicy` as a config writes it: with the people's names of
    its ``[users]``, never a list of its own. Its Config sets them (:meth:`named`); a copy
    keeps them, and refuses others."""

    _kept_on_copy = ("owner_names",)

    def named(self, names: tuple[str, ...]) -> Acceptance:
        """A copy with ``names`` (its Config's [users]) as the owners' names, set past the
        check that refuses them given."""
        copy = self.model_copy()
        copy.__dict__["owner_names"] = names
        copy.__pydantic_fields_set__.add("owner_names")
        return copy

    @field_validator("owner_names")
    @classmethod
    def _names_from_users(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """The config reads owners' names from one place: two lists of the same people would
        drift apart."""
        if value:
            raise ValueError(
                "owner names come from [users]: name each person there (a key of [users],"
                ' such as "Ana de la Cruz" = { email = "ana@example.com" }), and plansync reads'
                " that name whole after an @"
            )
        return value


DEFAULT_PRIORITIES: dict[Priority, str | None] = {
    "highest": "Highest",
    "high": "High",
    "medium": "Medium",
    "none": None,
    "low": "Low",
    "lowest": "Lowest",
}


def _item_template(value: str) -> str:
    """A template of what an item's record says (a Jira field, a Salesforce one), checked
    for the placeholders an item fills in (:data:`TEMPLATE_FIELDS`)."""
    return check_template(value, TEMPLATE_FIELDS)


ItemTemplate = Annotated[str, AfterValidator(_item_template)]


class JiraRule(Strict):
    name: str = "default"
    match: Match = Field(default_factory=Match)
    project: str
    issue_type: str = "Task"
    summary: ItemTemplate = "{text}"
    description: ItemTemplate = DEFAULT_DESCRIPTION
    labels: list[str] = Field(default_factory=lambda: ["plansync"])
    components: list[str] = Field(default_factory=list)
    priority_map: dict[Priority, str | None] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITIES)
    )
    sync_due: bool = True
    sync_assignee: bool = True

    @field_validator("summary")
    @classmethod
    def _some_summary(cls, value: str) -> str:
        """Jira refuses an issue without a summary: said here once, not by every create."""
        if not value.strip():
            raise ValueError("is empty: Jira needs a summary (the default is '{text}')")
        return value

    @field_validator("labels")
    @classmethod
    def _jira_labels(cls, value: list[str]) -> list[str]:
        """Jira refuses a label with a space (or an empty one) on every create it is in."""
        for label in value:
            if not label or re.search(r"\s", label):
                raise ValueError(f"{label!r} is not a Jira label: one word, without spaces")
        return value

    @field_validator("project", "issue_type")
    @classmethod
    def _named(cls, value: str) -> str:
        """An empty project (``"${JIRA_PROJECT:-PLAN}"`` with the variable set but empty, which
        beats the default) or issue type is named here, not by Jira on every create."""
        if not value.strip():
            raise ValueError("is empty (an environment variable it reads, set but empty?)")
        return value.strip()


DEFAULT_SF_DESCRIPTION = (  # as DEFAULT_DESCRIPTION, a part the note gives no value for is left out
    "{text}\n\n{details:?{details}\n\n}"
    'From the meeting "{note_title}"{note_date:? on {note_date}}'
    "{participants:? ({participants})}.\n"
    "{owner:?Owner: {owner}\n}Note: {link}"
)


def _api_name(value: str) -> str:
    """Checked here, so the error names the key at load; the connector's refusal comes at the
    first plan, as "not Salesforce API names", naming neither the file nor the setting."""
    if not SF_API_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a Salesforce API name (such as Due_Date__c)")
    return value


ApiName = Annotated[str, AfterValidator(_api_name)]
"""A setting naming a Salesforce object or field."""


def _api_fields(value: dict[str, str]) -> dict[str, str]:
    """A Salesforce rule's ``fields``: API names, each with its item template."""
    for name, template in value.items():
        _api_name(name)
        _item_template(template)
    return value


def _sf_fields() -> dict[str, str]:
    return {
        "Name": "{text}",
        "Description__c": DEFAULT_SF_DESCRIPTION,
        "Due_Date__c": "{due}",
        "Priority__c": "{priority}",
        "Account__c": "{account}",
    }


class SalesforceRule(Strict):
    """Items this rule takes become records of ``object``; ``fields`` maps API names to templates.

    ``{priority}`` is rendered through ``priority_map``; a template that renders empty sends null.
    """

    name: str
    match: Match = Field(default_factory=Match)
    object: ApiName
    fields: Annotated[dict[str, str], AfterValidator(_api_fields)] = Field(
        default_factory=_sf_fields
    )
    priority_map: dict[Priority, str | None] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITIES)
    )
    owner_field: ApiName | None = "OwnerId"


def _sf_rules() -> list[SalesforceRule]:
    return [
        SalesforceRule(name="rfe", object="RFE__c", match=Match(tags_any=["#rfe"])),
        SalesforceRule(
            name="feature",
            object="Feature__c",
            match=Match(kind=["action", "decision"], tags_any=["#feature"]),
        ),
        SalesforceRule(name="decision", object="Feature__c", match=Match(kind=["decision"])),
    ]


_CONFIG_KEYS = {"private_key": "private_key_file"}
"""The Salesforce connector's arguments named otherwise in ``[salesforce]``."""


def _given(value: str | SecretStr) -> bool:
    return bool(value.get_secret_value() if isinstance(value, SecretStr) else value.strip())


class SalesforceConfig(RequestSettings):
    """Where Salesforce is and how to log in. Empty ``instance_url``: the embedded sandbox."""

    instance_url: Annotated[str, _checked_base_url(SALESFORCE_CREDENTIALS)] = ""
    auth: SfAuth = "jwt"
    domain: str | None = Field(default=None, description="login, test, or a My Domain host")
    username: Credential = ""
    consumer_key: SecretCredential = Secret("")
    private_key_file: str = ""
    client_id: SecretCredential = Secret("")
    client_secret: SecretCredential = Secret("")
    session_id: SecretCredential = Secret("")
    password: Secret = Secret("")  # not trimmed: spaces may be part of one
    security_token: SecretCredential = Secret("")
    api_version: Annotated[str, _VERSION_AS_TEXT] = "59.0"
    external_id_field: ApiName = "Plansync_Id__c"
    jira_key_field: ApiName | None = "Jira_Key__c"
    note_link_field: ApiName | None = "Note_Link__c"
    rules: list[SalesforceRule] = Field(default_factory=_sf_rules)
    status_field: str | None = Field(
        default=None,
        description="the picklist an item's checkbox sets (done, cancelled, reopened, in"
        " progress); none:"
        " records keep whatever status Salesforce gives them",
    )
    status_values: dict[StatusValue, str] = Field(
        default_factory=dict,
        description="the value status_field takes for done, cancelled and reopen (default"
        " Done, Cancelled, New), and for in_progress ([/]; none: [/] is open, as [ ])",
    )
    open_status_values: list[str] = Field(
        default_factory=list,
        description="the other values of status_field that are open (Under Review, Planned):"
        " read as in progress; a record in a value this and status_values leave out is kept"
        " as Salesforce has it, and a move of its checkbox since is a conflict",
    )

    @field_validator("domain")
    @classmethod
    def _login_domain(cls, value: str | None) -> str | None:
        """A name (``login``, ``acme.my``), a host, or a URL, which is a base URL as the
        instance's is: the login's paths are appended to it."""
        if value is not None and "://" in value:
            return _base_url(value, SALESFORCE_CREDENTIALS)
        if value is not None and "@" in value:
            raise ValueError(
                "a login domain has no user name or password in it: write the host alone, and"
                f" the credentials in {SALESFORCE_CREDENTIALS}"
            )
        return value

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        if not SF_API_VERSION.fullmatch(value):
            raise ValueError(f"{value!r} is not an API version such as '59.0'")
        return value

    @field_validator("rules")
    @classmethod
    def _some_rules(cls, value: list[SalesforceRule]) -> list[SalesforceRule]:
        if not value:
            raise ValueError("is empty: no item would go to Salesforce (remove [salesforce])")
        return value

    @model_validator(mode="after")
    def _credentials_of_the_flow(self) -> SalesforceConfig:
        """A real org's login flow needs its credentials: named here by their keys, at load,
        rather than by the connector's argument names at the first plan."""
        if not self.instance_url:
            return self  # the embedded sandbox takes any session
        # Here, not at the top: the connector brings simple-salesforce, which loading a config
        # for Jira alone never needs.
        from plansync.connectors.salesforce_auth import LOGIN_NEEDS

        needs = [_CONFIG_KEYS.get(name, name) for name in LOGIN_NEEDS[self.auth]]
        missing = [name for name in needs if not _given(getattr(self, name))]
        if missing:
            raise ValueError(
                f"auth = {self.auth!r} needs {', '.join(missing)} (empty: set them, or the"
                " environment variables the config reads them from)"
            )
        return self

    @model_validator(mode="after")
    def _status_written_once(self) -> SalesforceConfig:
        """The status field is the checkbox's alone: a rule's template writing it too would
        set it back on every update, and each run would move it again."""
        if self.status_field is None:
            return self
        for rule in self.rules:
            written = [*rule.fields, rule.owner_field]
            if self.status_field.casefold() in (n.casefold() for n in written if n):
                raise ValueError(
                    f"status_field {self.status_field!r} is also written by rule {rule.name!r}:"
                    " leave it to the checkbox, or drop status_field"
                )
        reserved = (self.external_id_field, self.jira_key_field, self.note_link_field)
        if self.status_field.casefold() in (n.casefold() for n in reserved if n):
            raise ValueError(f"status_field {self.status_field!r} is a field plansync fills")
        return self

    @model_validator(mode="after")
    def _open_values_open(self) -> SalesforceConfig:
        """A value is open or what ``status_values`` calls it, not both: one read as in
        progress that a move sets as done would read as moved back at the next plan."""
        moves = {value: key for key, value in self.status_values.items() if key != "in_progress"}
        for value in self.open_status_values:
            if not value.strip():
                raise ValueError("open_status_values: an empty value: each must be a status")
            if value in moves:
                raise ValueError(
                    f"open_status_values: {value!r} is status_values' {moves[value]} value;"
                    " a value is open or that, not both"
                )
        return self

    def settings(self) -> list[SfSetting]:
        """Where this table names each field plansync writes, per object, and the values a
        rule maps an item's priority to (in a field whose template is ``{priority}`` alone:
        any other makes its own text of it), each by its key: the connector names the key
        where Salesforce would refuse, or refused, the field or the value. The status field's
        are the connector's own (its ``status_values`` fill in the defaults)."""
        found: list[SfSetting] = []
        for index, rule in enumerate(self.rules):
            at = f"salesforce.rules[{index}]"
            for name, template in rule.fields.items():
                found.append(SfSetting(f"{at}.fields", rule.object, name))
                if template.strip() == "{priority}":
                    found += [
                        SfSetting(f"{at}.priority_map.{word}", rule.object, name, value)
                        for word, value in rule.priority_map.items()
                        if value
                    ]
            if rule.owner_field:
                found.append(SfSetting(f"{at}.owner_field", rule.object, rule.owner_field))
            for key in ("jira_key_field", "note_link_field"):
                if field := getattr(self, key):
                    found.append(SfSetting(f"salesforce.{key}", rule.object, field))
        return list(dict.fromkeys(found))

    def managed_fields(self) -> dict[str, list[str]]:
        """Each object the rules write to, with the API fields plansync manages on it: what the
        connector reads and writes, and what the planner compares."""
        objects: dict[str, list[str]] = {}
        for rule in self.rules:
            names = [*rule.fields, self.note_link_field, self.jira_key_field, rule.owner_field]
            managed = objects.setdefault(rule.object, [])
            managed += [n for n in names if n and n not in managed]
        return objects


ConflictWinner = Literal["note", "remote"]


class SyncConfig(Strict):
    conflicts: dict[str, ConflictWinner] = Field(
        default_factory=dict, description="field -> which side wins when both changed"
    )
    batch_size: Count = Field(default=50, ge=1, le=50)
    orphans: Literal["report", "cancel"] = Field(
        default="report",
        description="an item whose line was deleted from a note: report its records, or also"
        " cancel them (a note that is gone, unread or left with no items only reports, and so"
        " does a line moved into a note the config does not read, or into another note as no"
        " item)",
    )


class Config(Strict):
    """A ``plansync.toml``, read by :func:`~plansync.config_load.load_config`, which also
    names a file's mistakes and fills in ``${ENV}`` references. Built in code, it is as a
    file in :attr:`folder` would be (default: the working folder it was built in): relative
    paths start there, and its state store is ``.plansync`` there; and a backend it names no
    URL for is the embedded sandbox only with :attr:`sandbox` (see there). A copy with an
    update is checked so too (:meth:`Settings.model_copy`, as its tables' copies are)."""

    vault: VaultConfig = Field(default_factory=VaultConfig)
    myself: str = Field(default="", description="who @Myself is: a key of [users] or an email")
    acceptance: Acceptance = Field(default_factory=Acceptance)
    users: dict[str, UserEntry] = Field(default_factory=dict)
    jira: JiraConfig = Field(default_factory=JiraConfig)
    rules: list[JiraRule] = Field(default_factory=list)
    salesforce: SalesforceConfig | None = Field(
        default=None, description="absent: nothing goes to Salesforce"
    )
    sync: SyncConfig = Field(default_factory=SyncConfig)

    folder: Folder = Field(
        default=cast(Folder, None),  # None is what a type checker's Folder is read as
        description="a config made in code: the folder it belongs in, as a file's is the"
        " folder it is in (its relative paths start there, and its state store is .plansync"
        " there); unset: the working folder when it was made",
    )
    sandbox: bool = Field(
        default=False,
        description="a config made in code: sync a backend whose URL is empty with the"
        " embedded sandbox (a trial, a test); unset, such a run is refused, as the URL is"
        " most often a variable left unset, and the sandbox's keys would go into the notes",
    )
    source: Path | None = Field(default=None, exclude=True)
    _made_in: Path | None = PrivateAttr(default=None)
    _caller: Caller = PrivateAttr(default=LIBRARY)

    def model_post_init(self, context: Any, /) -> None:
        if self.source is None and self.folder is None:
            with suppress(OSError):  # a working folder deleted: found again (or not) when used
                self._made_in = Path.cwd()

    def user(self, name: str) -> UserEntry | None:
        """The ``[users]`` entry of an owner's ``name`` (or of ``myself``), None if none.

        Compared in NFC: a note may spell "Lucía" with "í" or with "i" and a combining accent
        (macOS, some copy-paste), which look alike and name the same person as the config's
        key, whichever way it is spelled."""
        entry = self.users.get(name)
        if entry is not None:
            return entry
        wanted = nfc(name)
        return next((e for key, e in self.users.items() if nfc(key) == wanted), None)

    def check_routes(self) -> None:
        """ConfigError when no rule sends an item anywhere: every plan would say "No changes
        ... in sync" (an empty file, a config whose [[rules]] were lost in an edit, one built
        in code without rules), which reads as success."""
        if not self.rules and self.salesforce is None:
            starter = self.caller.starter
            raise ConfigError(
                f"{self.where}: no [[rules]] and no [salesforce] table, so no item goes anywhere"
                + (f" (`{starter}` writes a starter config)" if starter else ""),
                source=self.source,
            )

    @property
    def caller(self) -> Caller:
        """Whose words the messages about this config are in, when they say what to run
        (:mod:`plansync.callers`): the library's, unless the command line read the config
        (:func:`~plansync.config_load.read_config`, with the ``--config`` the user gave).
        Internal: plansync's messages ask it; :class:`~plansync.callers.Caller` is not part of
        the public API."""
        return self._caller

    @property
    def where(self) -> str:
        """How messages name the config: its file, or "config" for one made in code."""
        return str(self.source) if self.source is not None else "config"

    @property
    def described(self) -> str:
        """The config and its vault, as a plan made with it names them to a run with another
        config: its file, or the folder of one made in code (where its state store is): the
        :attr:`folder` it was given ("a config made in code, folder /srv", not "a config
        made in /srv", which would send the reader to look there for the code that made it),
        or the working folder it was made in."""
        if self.source is not None:
            made = str(self.source)
        elif self.folder is not None:
            made = f"a config made in code, folder {self.folder}"
        else:
            made = f"a config made in {self.base_dir}"
        return f"{made} (vault {self.vault_root})"

    @property
    def base_dir(self) -> Path:
        """The folder relative paths start from: the config file's, or for a config made in
        code its :attr:`folder`, or else the working folder it was made in, not whichever is
        current at each call: a caller that changes folder between a plan and its apply
        keeps its one state store."""
        if self.source is not None:
            return self.source.parent
        return self.folder or self._made_in or Path.cwd()

    @property
    def vault_root(self) -> Path:
        """``vault.path``, relative to the config's folder; ``~`` is the home folder."""
        return (self.base_dir / Path(self.vault.path).expanduser()).resolve()

    @property
    def state_dir(self) -> Path:
        return self.base_dir / ".plansync"

    @property
    def jira_embedded(self) -> bool:
        """Whether the Jira synced is the embedded sandbox: the config names no Jira URL (an
        empty ``jira.url``, as ``"${JIRA_URL:-}"`` leaves it with the variable unset). Of Jira
        alone: whether Salesforce's is the sandbox too is :attr:`embedded`'s to say."""
        return not self.jira.url

    @property
    def embedded(self) -> frozenset[str]:
        """The backends this config leaves to the embedded sandbox (it names no URL for them):
        Jira, and Salesforce unless it is :attr:`left_out`."""
        names = {"jira"} if self.jira_embedded else set()
        if self.salesforce is not None and not self.salesforce.instance_url:
            names.add("salesforce")
        return frozenset(names - self.left_out)

    @property
    def left_out(self) -> frozenset[str]:
        """The backends that are not synced at all: Salesforce, whose table names no instance,
        beside a real Jira (a URL not on this machine, and rules sending items there).

        The embedded Salesforce sandbox would write its ``https://127.0.0.1:8991`` links into
        notes synced with a real Jira, said on stderr only (the starter config has the table,
        and a user who sets only ``JIRA_URL`` means Jira alone); the plan says instead that
        its items wait for the instance URL. A trial keeps both: the embedded sandboxes, or a
        Jira sandbox served on this machine beside the embedded Salesforce one."""
        sf = self.salesforce
        if sf is None or sf.instance_url or not self.rules:
            return frozenset()
        if self.jira_embedded or on_this_machine(self.jira.url):
            return frozenset()
        return frozenset({"salesforce"})

    def conflict_fields(self) -> list[str]:
        """The field names a ``[sync.conflicts]`` key may be: every field the planner compares
        in Jira and, with ``[salesforce]``, in the objects its rules write to."""
        names = [*JIRA_CONFLICT_FIELDS, "status"]  # status: the checkbox's, in either backend
        if self.salesforce is not None:
            names += [f for fields in self.salesforce.managed_fields().values() for f in fields]
        return list(dict.fromkeys(names))

    @field_validator("folder")
    @classmethod
    def _absolute_folder(cls, value: Path | None) -> Path | None:
        """Absolute when given (``~`` the home folder), as a file's folder is: a relative one
        read from each call's working folder would move the state store with it. Symlinks
        kept, as for a file's (see :func:`~plansync.config_load.read_config`)."""
        return None if value is None else Path(os.path.abspath(_expand_home(value)))

    @model_validator(mode="after")
    def _code_only_settings(self) -> Config:
        """``folder`` and ``sandbox`` are a config made in code's: a file's folder is the one
        it is in, and a file chooses the sandbox by its empty URL (``"${JIRA_URL:-}"``)."""
        given = [name for name in ("folder", "sandbox") if name in self.model_fields_set]
        if self.source is not None and given:
            raise ValueError(
                f"{' and '.join(repr(name) for name in given)}: only for a Config made in code"
                " (a file's folder is the one it is in, and an empty URL in it is the embedded"
                " sandbox)"
            )
        return self

    @field_validator("acceptance", mode="before")
    @classmethod
    def _checked_policy(cls, value: Any) -> Any:
        """A library caller's plain :class:`AcceptancePolicy` is checked like the file's."""
        if isinstance(value, AcceptancePolicy) and not isinstance(value, Acceptance):
            return value.model_dump()
        return value

    @model_validator(mode="after")
    def _rules_match_no_global_filter(self) -> Config:
        """A rule's tag that is the global filter matches nothing (``tags_any``) or excludes
        nothing (``tags_none``): Obsidian Tasks leaves the filter out of a task's tags."""
        gf = self.acceptance.global_filter.casefold()
        if not gf:
            return self
        tables = [("rules", rule.match) for rule in self.rules]
        if self.salesforce is not None:
            tables += [("salesforce.rules", rule.match) for rule in self.salesforce.rules]
        for table, match in tables:
            for key in ("tags_any", "tags_none"):
                for tag in getattr(match, key):
                    if tag.casefold() == gf:
                        raise ValueError(
                            f"{table}: {key} names {tag!r}, the global filter, which Obsidian"
                            " Tasks leaves out of a task's tags (every task holds it): the rule"
                            " would never see it; match on another tag"
                        )
        return self

    @model_validator(mode="after")
    def _owners_named_in_users(self) -> Config:
        """Notes are read knowing the [users] names, so that one with a word of no capital
        (``@Ana de la Cruz``) is read whole, as the owner [users] maps, not as "Ana" with "de
        la Cruz" left in the text. Set on the policy, as every reader of a note line (the scan,
        the planner's rereading, write-back) is handed it."""
        names = tuple(self.users)
        if self.acceptance.owner_names != names:
            # Set past validate_assignment: an assignment here would run this model's
            # validators again from within, and a later one's mistake (an unknown conflict
            # field) would be named twice, one ConfigError inside another.
            self.__dict__["acceptance"] = self.acceptance.named(names)
        return self

    @model_validator(mode="after")
    def _known_conflict_fields(self) -> Config:
        """A key of ``[sync.conflicts]`` is a field name, so the model cannot forbid unknown
        ones by itself; a misspelt one would leave that field's conflicts unresolved."""
        fields = self.conflict_fields()
        unknown = [name for name in self.sync.conflicts if name not in fields]
        if unknown:  # one line each, like the model's own errors (see config_load.config_from_dict)
            known = f" (the fields it may name: {', '.join(fields)})"
            raise ValueError(
                "\n  ".join(unknown_key(f"sync.conflicts.{name}", name, fields) for name in unknown)
                + known
            )
        return self
