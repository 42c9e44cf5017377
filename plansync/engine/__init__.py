"""The sync engine: state store, plan (three-way diff), apply, render.

The plan's algorithm is in :mod:`.plan`, its steps in modules of their own: :mod:`.identity`
(step 1: which items take part, and their ids), :mod:`.diff` (step 3: the three-way rules, as
pure functions), :mod:`.orphans` (step 5: records whose line is gone); :mod:`.targets` holds the
backends as the planner sees them.
"""
