"""Who a record is assigned to: the item's owner (``@Dana``) as a user id of the backend.

Out of the planner, as the one part of a plan that looks people up: ``[users]`` and ``myself`` in
the config first, else a search of the backend's users, once per owner and backend in a run,
and none once the backend refused one (a token that may not browse users: the plan goes on,
its records' owners as they are). An owner that maps to no single user is a warning that names
the setting to change, not a guess, once for all the items it owns and every backend it maps to
no user of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plansync.config import Config
from plansync.connectors.base import ConnectorError
from plansync.engine.changes import Plan
from plansync.engine.identity import Tracked
from plansync.engine.targets import TargetSpec
from plansync.rules import owner_name


@dataclass
class _Unmapped:
    """An owner that maps to no single user of ``target``: the users its look-up ``found``
    (None: the backend refused to look), the item it was first looked up for, and the lines
    (note, line) of the items it owns there."""

    target: TargetSpec
    found: tuple[str, ...] | None
    entry: Tracked
    lines: set[tuple[str, int]] = field(default_factory=set)


class OwnerResolver:
    """The owners' user ids for one plan, each looked up once; its warnings go to ``plan``."""

    def __init__(self, config: Config, plan: Plan):
        self.config = config
        self.plan = plan
        self._users: dict[tuple[str, str], str | None] = {}  # (target, owner) -> user id
        self._unmapped: dict[tuple[str, str], _Unmapped] = {}  # (target, owner) of no user
        self._user_search_refused: set[str] = set()  # targets that answered a user search 403

    def assignee(self, target: TargetSpec, entry: Tracked) -> str | None:
        """The ``target`` user id of the item's owner; None: it has no owner, or one that
        maps to no single user (a warning says which setting to change)."""
        owner = entry.item.owner
        if not owner:
            return None
        if (target.name, owner) not in self._users:
            self._users[target.name, owner] = self._resolve(target, entry, owner)
        if (target.name, owner) in self._unmapped:
            self._unmapped[target.name, owner].lines.add((entry.note.path, entry.item.line))
        return self._users[target.name, owner]

    def warn_unmapped(self) -> None:
        """One warning an owner that maps to no single user, at its first line, saying how many
        items it owns: ``myself`` set to no one's name would read as one item's problem where
        it is every ``@Myself`` item's. One for every backend it maps to no user of, naming
        them: once a backend, a vault's ten unknown owners would be twenty warnings, each
        owner's two saying the same remedy. The other items' lines are its ``also``, so a
        script can attach it to every line it stands for."""
        by_owner: dict[str, list[_Unmapped]] = {}
        for (_, owner), unmapped in self._unmapped.items():
            by_owner.setdefault(owner, []).append(unmapped)
        for owner, each in by_owner.items():
            (path, line), *rest = sorted(set().union(*(unmapped.lines for unmapped in each)))
            more = len(rest)
            others = f"; likewise {more} more item{'s' * (more > 1)} of this owner" if more else ""
            kept = " and ".join(_no_owner(unmapped.target) for unmapped in each)
            why = self._why_unmapped(owner, each)
            self.plan.warn(f"owner '@{owner}' {why}; {kept}{others}", path, line, also=rest)
        self._unmapped.clear()

    def _resolve(self, target: TargetSpec, entry: Tracked, owner: str) -> str | None:
        name = owner_name(owner, self.config.myself)
        user = self.config.user(name)
        explicit: str | None = getattr(user, target.name, None) if user else None
        if explicit:
            return explicit
        query = self._query(name)
        found: tuple[str, ...] | None = ()  # None: not known, the backend refused to look
        if query and target.name in self._user_search_refused:
            found = None
        elif query:
            try:
                found = target.connector.find_users(query)
            except ConnectorError as exc:
                if exc.status != 403:
                    raise
                # The account may not browse users (a permission many tokens lack): the plan
                # goes on, its records' owners as they are, rather than stop at the first.
                self._user_search_refused.add(target.name)
                self.plan.warn(
                    f"{target.title} refused to look users up ({exc}); for owners that [users]"
                    f" gives no {target.name} id for, {_no_owner(target)}"
                )
                found = None
        if found is not None and len(found) == 1:
            return found[0]
        self._unmapped[target.name, owner] = _Unmapped(target, found, entry)
        return None

    def _query(self, name: str) -> str | None:
        """What an owner's users are searched by: the e-mail [users] gives ``name``, or the
        name when it is one; None: neither, so no search."""
        user = self.config.user(name)
        return user.email if user and user.email else (name if "@" in name else None)

    def _why_unmapped(self, owner: str, each: list[_Unmapped]) -> str:
        """Why an owner has no account in the backends of ``each``, as the setting to change,
        which is the owner's, whatever the backend: "add it under [users]" would be wrong
        advice for ``@Myself`` (set by ``myself``) and for an owner [users] already maps, by an
        e-mail the backend does not find. An e-mail or a name that matches more than one
        active user (``found``) is not guessed at, and is said to, as "no user, or several"
        would leave the reader to find out which."""
        users = " and ".join(_users_found(u.target, u.found) for u in each)
        name = owner_name(owner, self.config.myself)
        query = self._query(name)
        if owner == "Myself" and name != owner:
            titles = " and ".join(u.target.title for u in each)
            knows = "know" if len(each) > 1 else "knows"
            return (
                f"('myself' = {name!r} in the config) maps to {users}: set 'myself' to a key of"
                f" [users] or an e-mail {titles} {knows}"
            )
        if owner == "Myself":
            return f"maps to {users}: set 'myself' in the config to your e-mail"
        if query and self.config.user(name) is not None:
            ids = " and ".join(u.target.name for u in each) + (" ids" if len(each) > 1 else " id")
            return (
                f"maps by e-mail {query!r} ([users]) to {users}: give its {ids} in [users] instead"
            )
        longer = _longer_name(each[0].entry.item.description, owner)
        meant = f", or {longer!r} if that is who is meant" if longer else ""
        return f"maps to {users} (add it under [users] in the config{meant})"


def _users_found(target: TargetSpec, found: tuple[str, ...] | None) -> str:
    """How many of the backend's users an owner's look-up ``found``: "no Jira user", "2 Jira
    users"; None, when the backend refused to look, is either."""
    if found is None:
        return f"no {target.title} user, or to several"
    if not found:
        return f"no {target.title} user"
    return f"{len(found)} {target.title} users"


_PARTICLES = re.compile(
    r"((?: (?:al|af|av|bin|da|das|de|del|della|der|den|di|dos|du|el|ibn|la|le|ter|ten"
    r"|van|von|zu))+(?: [A-Z](?=[\w'-]*[a-z])[\w'-]*)+)"
)
"""The particles of names (van, de la, dos) then capitalised words, after a mention: what a
name such as "Ludwig van Beethoven" leaves behind when it is read as "@Ludwig" (see
:func:`plansync.notes.mentions.mention`). Particles only, not any short word: "@Tom to the CFO"
and "@Priya for the Q4 numbers" name Tom and Priya; and words of a name, not initials:
"@João da TI" (João from IT) names João, as the README says."""


def _longer_name(description: str, owner: str) -> str | None:
    """The name the writer most likely meant where the owner's mention goes on in words of no
    capital ("@Ludwig van Beethoven", read as "@Ludwig"): [users] reads it whole once it names
    it. Without this the warning would say "@Ludwig" alone, and lead to mapping "Ludwig"."""
    at = description.rfind(f"@{owner} ")  # the owner is the last mention
    rest = _PARTICLES.match(description, at + 1 + len(owner)) if at >= 0 else None
    return f"{owner}{rest[1]}" if rest else None


def _no_owner(target: TargetSpec) -> str:
    """What becomes of a record whose owner maps to no account: plansync sends none, so the
    record keeps the one it has (:func:`jira_fields`); a new Jira issue has no assignee, but a
    new Salesforce record always has an owner."""
    if target.name == "jira":
        return "its issue keeps the assignee it has (a new one: none)"
    return "its record keeps the owner it has (a new one: the user plansync logs in as)"
