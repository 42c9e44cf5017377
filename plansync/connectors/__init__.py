"""Backends the engine talks to through the interface in :mod:`plansync.connectors.base`."""
