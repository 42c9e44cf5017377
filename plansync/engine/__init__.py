"""The sync engine. The algorithm, step by step, is in :mod:`.plan`'s docstring; one line a module:

- :mod:`.plan`: the plan, what a sync would change, computed without changing anything.
- :mod:`.identity`: step 1, which items take part and the block id each is known by.
- :mod:`.diff`: step 3, the three-way rules (note, base, backend) as pure functions.
- :mod:`.orphans`: step 5, the records whose line no note has: reported, or cancelled.
- :mod:`.targets`: step 6, the backends as the planner sees them, and which items they take.
- :mod:`.owners`: each item's owner as a backend user id, for the records' assignee or owner.
- :mod:`.held`: the notes a person must fix first, held back from the sync, records and all.
- :mod:`.changes`: the plan as data, its :class:`~.changes.Change` objects and JSON contract.
- :mod:`.apply`: carries a plan out, so that a run killed at any point ends right when rerun.
- :mod:`.steps`: apply's steps, a module each (creates, links, …), run in :mod:`.apply`'s order.
- :mod:`.result`: what a sync did, as data: its outcomes, errors and warnings.
- :mod:`.state`: the state store, what was last synced (the base), what is in flight, who runs.
- :mod:`.forget`: which orphans ``plansync forget`` may stop tracking.
- :mod:`.render`: a plan as a person reads it, ``terraform plan`` style, and what a sync did.
"""
