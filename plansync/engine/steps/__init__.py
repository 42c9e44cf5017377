"""The steps of apply (:mod:`plansync.engine.apply`, whose docstring says their order and what
is committed when), one module a step, all of them functions of one :class:`.run.Run`:

- :mod:`.run`: what one apply knows as it goes, and the bookkeeping every step shares.
- :mod:`.fresh`: whether the plan can still be applied, and which changes of it.
- :mod:`.notes`: block ids into the notes before any record exists, then the keys.
- :mod:`.journal`: the journal of creates; looking up the ids a dead run was creating.
- :mod:`.creates`: creates a batch at a time, looked up first, keys stored in one commit.
- :mod:`.links`, :mod:`.updates`, :mod:`.transitions`: the idempotent steps after the keys.
- :mod:`.answers`: what a backend answered for each change of a call, settled alike.
"""
