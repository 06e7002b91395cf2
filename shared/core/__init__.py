"""The kit's core, imported inside the TF envs (Python 3.7 and 3.11, numpy + pandas only)."""

SCHEMA_VERSION = 1
