"""The one base class of every error a library caller can meet that is not a bug.

A pipeline that imports plansync wants one ``except plansync.PlansyncError`` around a plan or
a sync, not a list of classes gathered from five internal modules (and a bare
``sqlite3.DatabaseError`` for a damaged state store). Each subclass says what went wrong in a
message that names the file, line or key at fault and never quotes a secret, so it can be
logged or posted as it is.
"""

from __future__ import annotations


class PlansyncError(Exception):
    """A plan or a sync could not go on: a bad config, a backend that refused a whole call, a
    note saved while it was read, a stale plan, a state store that is locked or damaged."""
