"""The web studio's local-disk storage client and the pure pieces of the Chainlit app: settings → brand
profile changes, panel commands, the trusted login header."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.errors import InputError
from agent.services.views.profile import profile_changes
from ui.web.auth import header_email
from ui.web.panels import panel_for
from ui.web.storage import LocalStorageClient

CURRENT = {
    "brand_name": "",
    "tone": "friendly",
    "audience": "",
    "language": "en",
    "timezone": "UTC",
    "emoji_policy": "light",
    "banned_words": [],
}


async def test_files_are_written_read_back_and_deleted_under_the_root(tmp_path: Path) -> None:
    client = LocalStorageClient(tmp_path / "files")
    key = "user-1/elem-1/latte photo.jpg"
    stored = await client.upload_file(key, b"\xff\xd8jpeg", mime="image/jpeg")
    assert stored == {"object_key": key, "url": "/studio/files/user-1/elem-1/latte%20photo.jpg"}
    assert client.path_for(key).read_bytes() == b"\xff\xd8jpeg"
    assert await client.get_read_url(key) == stored["url"]
    await client.upload_file(key, "text now")  # overwrite, str data as UTF-8
    assert client.path_for(key).read_bytes() == b"text now"
    await client.upload_file(key, b"ignored", overwrite=False)
    assert client.path_for(key).read_bytes() == b"text now"
    assert not list((tmp_path / "files").rglob("*.tmp"))
    assert await client.delete_file(key) is True
    assert await client.delete_file(key) is False
    assert await client.delete_file("../escape") is False


@pytest.mark.parametrize(
    "key", ["", "../outside.txt", "user/../../outside.txt", "/", "a/./b", "a\x00b", "x" * 700]
)
async def test_keys_that_leave_the_root_are_refused(tmp_path: Path, key: str) -> None:
    client = LocalStorageClient(tmp_path / "files")
    with pytest.raises(ValueError, match="bad object key"):
        await client.upload_file(key, b"data")
    assert not (tmp_path / "outside.txt").exists()


def test_an_absolute_looking_key_stays_under_the_root(tmp_path: Path) -> None:
    client = LocalStorageClient(tmp_path / "files")
    assert client.path_for("/etc/passwd") == (tmp_path / "files" / "etc" / "passwd").resolve()


def test_settings_become_profile_changes_cleaned_and_capped() -> None:
    changes = profile_changes(
        {
            "platforms": ["linkedin"],  # a chat setting, not the profile's
            "tone": "  warm   and witty ",
            "timezone": "Europe/Berlin",
            "language": "",  # emptied: keeps its value
            "emoji_policy": "light",  # unchanged: not written
            "banned_words": ["synergy", " synergy ", "", "leverage"],
        },
        CURRENT,
    )
    assert changes == {
        "tone": "warm and witty",
        "timezone": "Europe/Berlin",
        "banned_words": ["synergy", "leverage"],
    }
    assert profile_changes({}, CURRENT) == {}
    with pytest.raises(InputError, match="at most 200"):
        profile_changes({"tone": "x" * 201}, CURRENT)
    assert (
        len(profile_changes({"banned_words": [f"w{i}" for i in range(300)]}, CURRENT)["banned_words"]) == 100
    )


@pytest.mark.parametrize(
    ("text", "command", "panel"),
    [
        ("calendar", None, "calendar"),
        ("  Show my calendar! ", None, "calendar"),
        ("/analytics", None, "analytics"),
        ("calendar month", None, "calendar month"),
        ("", "Calendar", "calendar"),
        ("anything", "Accounts", "accounts"),
        ("write a calendar post for instagram", None, None),
        ("profile picture ideas", None, None),
    ],
)
def test_panel_commands(text: str, command: str | None, panel: str | None) -> None:
    assert panel_for(text, command) == panel


def test_the_trusted_header_names_one_email() -> None:
    assert header_email({"x-forwarded-email": " ana@example.com "}, "X-Forwarded-Email") == "ana@example.com"
    assert header_email({}, "X-Forwarded-Email") is None
    assert header_email({"x-forwarded-email": "ana"}, "X-Forwarded-Email") is None
    assert header_email({"x-forwarded-email": "a@x.io, b@x.io"}, "X-Forwarded-Email") is None
