"""What the contact policy raises when it is given something it cannot judge.

A refusal to contact someone is not an error: ``decide`` returns it as a
``Refuse`` value. The exceptions here mean the *input* is wrong, so the caller
(the HTTP edge, the CLI, the creditor configuration loader) must fix it::

    PolicyError (ValueError)
    ├── ProfileError      a policy profile or its overrides are invalid
    └── UnknownTimeZone   a recipient names a time zone the tz database lacks

Both derive from ``ValueError`` because both are bad values; the HTTP layer
maps ``UnknownTimeZone`` to ``invalid_request`` and a creditor's broken
configuration (``ProfileError``) is caught at load time, never per message.
"""

from __future__ import annotations


class PolicyError(ValueError):
    """Base of everything the policy package raises about its inputs."""


class ProfileError(PolicyError):
    """A policy profile, or a creditor's overrides of one, is invalid.

    The message names the offending setting and value so the person editing the
    configuration can fix it without reading code.
    """


class UnknownTimeZone(PolicyError):
    """A time zone name is not a geographic zone of the IANA tz database shipped with ``tzdata``.

    The HTTP edge also refuses names of clock settings (``localtime``,
    ``Factory``, ``UTC``, ``right/…``) as unknown: they name no place
    (``zones.geographic_zone``).

    Raised for recipients; the offending name is kept in ``name`` so the HTTP
    layer can point at the field.
    """

    def __init__(self, name: str) -> None:
        super().__init__(
            f"unknown time zone {name!r}; expected a geographic IANA name such as 'Asia/Shanghai'"
        )
        self.name = name
