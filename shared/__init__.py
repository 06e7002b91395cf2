"""Version-neutral core of the TF1 -> TF2 reproduction kit (Python 3.7 and 3.11, numpy + pandas)."""

SCHEMA_VERSION = 1
