"""The sync engine: state store, plan (three-way diff), apply, render."""
