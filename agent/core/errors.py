"""The studio's few exception types. Expected failures become messages the user can act on."""

from __future__ import annotations


class StudioError(Exception):
    """Base class: an expected failure with a message fit to show the user."""


class ConfigError(StudioError):
    """The configuration is invalid; the message names the setting."""


class InputError(StudioError):
    """The user's input was rejected (too long, wrong type, unknown platform...)."""


class NotFound(StudioError):
    """The thing does not exist, or does not belong to this user (we do not say which)."""


class ToolFailed(StudioError):
    """A tool could not do its job (an outside service failed); the agent reports it and goes on."""
