"""The README's code map names every module of the package, so a reader finds each one there."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_map() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("Code map")
    return readme[start : readme.index("\n\n", readme.index("\n- ", start) + 1)]


def test_the_code_map_names_every_module() -> None:
    text = code_map()
    modules = {
        path.stem
        for path in (ROOT / "plansync").rglob("*.py")
        if path.stem not in {"__init__", "__main__"}
    }
    named = ("`{}`", "`{}.py`", "/{}.py`")
    missing = sorted(m for m in modules if not any(n.format(m) in text for n in named))
    assert not missing, f"README's code map does not name: {missing}"
