"""The kit's own package, in sub-packages that say where their code runs.

``shared.core`` is imported inside the TensorFlow envs (Python 3.7 and 3.11, numpy + pandas only);
``compare``, ``baselines``, ``report``, ``bench``, ``containers``, ``envtools``, ``pitfalls`` and
``distributed`` run on the host only.
"""
