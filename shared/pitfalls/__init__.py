"""The pitfalls catalogue (host only): a case folder's ``PITFALLS`` entries judged from the kit's comparisons.

Each entry is one case whose naive TF2 port must be red for the declared cause (the effective
settings that differ, the stage where it first parts from TF1) and whose faithful port must be
green; an entry can declare that its naive port does not differ measurably. ``python -m
shared.pitfalls run`` (``nox -s pitfalls``) trains both sides, compares and writes
``pitfalls.json``, ``pitfalls.md`` and ``pitfalls.html``.
"""
