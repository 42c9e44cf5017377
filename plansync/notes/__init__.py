"""Reading notes into items, and editing a note line without disturbing any other byte."""
