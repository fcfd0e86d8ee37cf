"""The two ways media work fails: the input is refused, or a model/decoder could not do its job."""

from __future__ import annotations


class MediaRejected(Exception):
    """The input is not acceptable (empty, too big, corrupt, not what its name says...).

    The message says what is wrong and, where there is one, the limit; it is shown to the user as is.
    """


class MediaFailed(Exception):
    """A model or decoder failed on an input that passed validation (missing model, broken install...)."""
