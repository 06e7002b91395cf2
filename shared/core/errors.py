"""Typed errors of the kit: each says what was expected, what was found and what to do."""


class KitError(Exception):
    """Base class: ``expected``, ``found`` and ``fix`` make up the message."""

    def __init__(self, what: str, expected: str = "", found: str = "", fix: str = "") -> None:
        self.what = what
        self.expected = expected
        self.found = found
        self.fix = fix
        parts = [what]
        if expected:
            parts.append("expected: " + expected)
        if found:
            parts.append("found: " + found)
        if fix:
            parts.append("fix: " + fix)
        super().__init__("\n  ".join(parts))


class RegistryError(KitError):
    """Unknown or invalid case, implementation or tolerance."""


class DataError(KitError):
    """Missing, malformed or corrupted data files."""


class ChecksumError(DataError):
    """A data file whose SHA-256 differs from its manifest."""


class ResultError(KitError):
    """A result file that is missing, partial or does not fit the schema."""


class EnvError(KitError):
    """A Python environment or interpreter that is missing or wrong."""


class DeviceError(KitError):
    """A device was asked for that TensorFlow cannot see or did not use."""


class TrainingError(KitError):
    """Training produced non-finite values or failed."""


class BusyError(KitError):
    """Another run holds the lock of a folder this run would write."""


class WriteError(KitError):
    """A file could not be written: the disk is full, or the folder is read-only or not this user's."""


class ArtifactError(KitError):
    """A kept checkpoint or SavedModel that is damaged, or that does not fit the model or the call it is given."""
