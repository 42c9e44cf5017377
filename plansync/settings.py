"""What the settings models share (:class:`~plansync.AcceptancePolicy`, :class:`~plansync.Config`
and the tables of ``plansync.toml``): a mistake in them is a :class:`~plansync.ConfigError`
that names its key, whether the settings come from a config file (:func:`plansync.load_config`)
or are built in code. Built in code, a policy accepting a proposed status would otherwise
raise pydantic's ``ValidationError`` (a ``pydantic_core`` class), which no ``except
plansync.PlansyncError`` catches; a ``ConfigError`` is a ``ValueError`` as that is, so either
``except`` catches it.

Kept apart from :mod:`plansync.config`, which loads the engine's vocabulary: the notes' model
(the policy) needs these, and ``plansync parse`` loads nothing of the engine.
"""

from __future__ import annotations

import difflib
import json
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails

from plansync.errors import ConfigError, raise_alone

if TYPE_CHECKING:
    from typing_extensions import Self

S = TypeVar("S", bound="Settings")

_HELD_AT = "_held_at"
"""The key of a settings model's ``__dict__`` that says where it stands in the settings
holding it (:meth:`Settings._hold`)."""


class Settings(BaseModel):
    """A settings model: built with a value it cannot take, by its constructor or by
    ``model_validate`` (``_json``, ``_strings``), it raises :class:`ConfigError` naming the
    key. Pydantic's ``ValidationError`` is not kept as its cause: it quotes the value given
    (``input_value=``), a secret as readily as a typo, and a traceback would print it.

    :func:`plansync.config_load.load_config` reads pydantic's errors (:func:`validate_raw`), to name
    them in a file's terms (and its unset variables).

    A field set on a model built (``config.jira.url = ...``) is checked as the constructor
    checks it, model validators and all: unchecked, ``max_retries = "lots"`` would reach the
    connector, and a URL with a password in it would show in ``repr(config)``.
    Refused, the model is left as it was. So is a copy with an update (:meth:`model_copy`).
    """

    model_config = ConfigDict(validate_assignment=True)

    _kept_on_copy: ClassVar[tuple[str, ...]] = ()
    """Fields a copy keeps as they are unless its update names them: set past the model's
    check by the model that holds it (an Acceptance's owners' names, from its Config's
    [users]), which would refuse them given."""

    @model_validator(mode="after")
    def _holds_its_tables(self) -> Self:
        self._hold()
        return self

    def _hold(self, at: tuple[str | int, ...] | None = None) -> None:
        """Tell this model where it stands (``at``; by default where it was told before) and
        each table within (a field's, a list's item, a dict's value), however deep, where it
        does: a value set on one is then named by its whole key, ``vault.path`` as a file's or
        the Config constructor's mistake is, not ``path`` (which one?). Run as each model is
        validated, the outermost last, whose word stands, and again when a table is set.

        Kept in ``__dict__`` under a key that is no field (:data:`_HELD_AT`), which pydantic's
        ``==``, ``repr`` and dumps leave out: as a private attribute, a config's table would
        no longer equal the same table built alone."""
        if at is not None:
            self.__dict__[_HELD_AT] = at
        here = self.__dict__.get(_HELD_AT, ())
        for name in type(self).model_fields:
            value = self.__dict__.get(name)
            if isinstance(value, dict):
                within: list[tuple[tuple[str | int, ...], Any]] = [
                    ((name, key), table) for key, table in value.items()
                ]
            elif isinstance(value, list):
                within = [((name, index), table) for index, table in enumerate(value)]
            else:
                within = [((name,), value)]
            for place, table in within:
                if isinstance(table, Settings):
                    table._hold((*here, *place))

    def __init__(self, /, **data: Any) -> None:
        with _named_by_key(type(self)):
            super().__init__(**data)

    # Marked as pydantic marks its own (and RootModel's): a table validated within another
    # (Config's [jira]) is then made without this __init__, so its mistakes stay the outer
    # model's, named by their whole key ("'jira.url'"), not one ConfigError within another.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        before, fields_set = self.__dict__, set(self.__pydantic_fields_set__)
        try:
            with _named_by_key(type(self), self.__dict__.get(_HELD_AT, ())):
                super().__setattr__(name, value)
        except ConfigError:
            # Pydantic sets the value before it runs the model validators (a Config's, that
            # read one table against another), and keeps it when one of them refuses it; it
            # sets a new dict, so the one before is whole.
            object.__setattr__(self, "__dict__", before)
            object.__setattr__(self, "__pydantic_fields_set__", fields_set)
            raise

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, checked as the constructor checks the values, model
        validators and all (a :class:`ConfigError` if refused), as setting a field is.

        Pydantic's own sets ``update``'s values as given: a Config's ``folder="rel"`` would
        stay relative text (``state_dir`` then failing), ``users`` would leave the policy
        without their names (an owner such as ``@Ana de la Cruz`` read as "Ana"), a table
        given as a dict would stay one, ``sandbox`` would slip past a file's refusal, and a
        table's ``max_retries="lots"`` would reach the connector. The copy keeps the
        original's private state where it has some (a Config's: whose words its messages are
        in, the working folder it was made in, where its relative paths start)."""
        copy = super().model_copy(deep=deep)
        if not update:
            return copy
        kept = {name: copy.__dict__[name] for name in self._kept_on_copy if name not in update}
        given = {name: copy.__dict__[name] for name in copy.model_fields_set - kept.keys()}
        with _named_by_key(type(self), self.__dict__.get(_HELD_AT, ())):
            made = validate_raw(type(self), {**given, **update})
        made.__dict__.update(kept)
        made.__pydantic_fields_set__ |= kept.keys() & copy.model_fields_set
        for name, value in (copy.__pydantic_private__ or {}).items():
            if value is not None:
                made.__pydantic_private__[name] = value  # type: ignore[index]
        made._hold(self.__dict__.get(_HELD_AT, ()))  # where the original stands
        return made

    # The ways pydantic offers to build a model from data: each would raise the raw error,
    # secrets and all, which no ``except plansync.PlansyncError`` catches.
    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        with _named_by_key(cls):
            return super().model_validate(obj, **options)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        with _named_by_key(cls):
            return super().model_validate_json(json_data, **options)

    @classmethod
    def model_validate_strings(cls, obj: Any, **options: Any) -> Self:
        with _named_by_key(cls):
            return super().model_validate_strings(obj, **options)


def validate_raw(model: type[S], data: Any) -> S:
    """``data`` validated as ``model``, raising pydantic's ``ValidationError``: for a caller
    that names each mistake itself and never shows the error as it is."""
    return super(Settings, model).model_validate(data)


@contextmanager
def _named_by_key(model: type[BaseModel], at: tuple[str | int, ...] = ()) -> Iterator[None]:
    """Pydantic's ``ValidationError`` from within, as the :class:`ConfigError` that names each
    mistake by its key (after ``at``, where the model stands in the settings holding it) and
    quotes no value."""
    try:
        yield
    except ValidationError as exc:
        errors = exc.errors()
        problems = "; ".join(describe(e, model, toml=False, at=at) for e in errors)
        key = key_of((*at, *errors[0]["loc"])) or None
        raise_alone(ConfigError(f"invalid {model.__name__}: {problems}", key=key))


def model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    """The model class under ``root`` that owns the last key of ``loc``, to suggest a valid
    key for a typo."""
    model = root
    dict_key = False  # the next part is a key of a table like [users], not a field name
    for part in loc[:-1]:
        if isinstance(part, int) or dict_key:
            dict_key = False
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        dict_key = typing.get_origin(annotation) is dict
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        inner = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if inner is None:
            return None
        model = inner
    return model


def unknown_key(key: str, name: str, names: list[str]) -> str:
    """``unknown key 'a.b'; did you mean 'c'?``: the one wording for every misspelt key."""
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{key}'{hint}"


def key_of(loc: tuple[Any, ...]) -> str:
    """A validation error's location as the config key, the way
    :func:`plansync.config_load.interpolate` names it."""
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def describe(
    error: ErrorDetails, root: type[BaseModel], *, toml: bool = True, at: tuple[Any, ...] = ()
) -> str:
    """One mistake of a model under ``root``, named by its key (after ``at``, where ``root``
    stands in the settings holding it); ``toml``: a wrong shape said as a config file writes
    it (``[[rules]]``), not to a caller who built the model in code."""
    loc = tuple(error["loc"])
    key = key_of((*at, *loc))
    if error["type"] == "extra_forbidden":
        model = model_at(loc, root)
        return unknown_key(key, str(loc[-1]), list(model.model_fields) if model else [])
    message = (toml and _in_toml_words(error)) or error["msg"].removeprefix("Value error, ")
    return f"'{key}': {message}" if key else message


def _in_toml_words(error: ErrorDetails) -> str | None:
    """A wrong shape said as TOML writes it, for the slips TOML invites: ``[rules]`` for
    ``[[rules]]`` and back, a string for a list. Pydantic's words name Python types and
    internal classes ("a valid dictionary or instance of JiraConfig")."""
    given = error.get("input")
    header = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))  # as TOML names it
    if error["type"] == "list_type":
        if isinstance(given, dict):
            return f"is one table, not a list of them: write [[{header}]] (two brackets) for each"
        if isinstance(given, str):
            return f"is a string, not a list: write [{json.dumps(given, ensure_ascii=False)}]"
        return 'should be a list, such as ["a", "b"]'
    if error["type"] in ("model_type", "dict_type"):
        if isinstance(given, list):
            return f"is a list of tables, not one table: write [{header}] (one bracket)"
        return "should be a table: a [section] or { key = value, ... }"
    return None
