"""Password hashing and the encryption of stored platform credentials."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from agent.core.errors import StudioError
from agent.core.security import MIN_PASSWORD_LEN, CredentialBox, hash_password, verify_password


def _key() -> str:
    return Fernet.generate_key().decode()


def test_a_password_verifies_against_its_hash() -> None:
    stored = hash_password("correct horse battery")

    assert stored.startswith("scrypt$")
    assert "correct horse battery" not in stored
    assert verify_password("correct horse battery", stored)


@pytest.mark.parametrize("attempt", ["correct horse batterY", "correct horse battery ", "", "wrong-password"])
def test_a_wrong_password_does_not_verify(attempt: str) -> None:
    assert not verify_password(attempt, hash_password("correct horse battery"))


@pytest.mark.parametrize("stored", [None, "", "plaintext-password", "bcrypt$abc$def"])
def test_a_missing_or_foreign_hash_never_verifies(stored: str | None) -> None:
    assert not verify_password("plaintext-password", stored)


def test_a_short_password_is_rejected() -> None:
    with pytest.raises(StudioError, match=str(MIN_PASSWORD_LEN)):
        hash_password("x" * (MIN_PASSWORD_LEN - 1))
    assert verify_password("x" * MIN_PASSWORD_LEN, hash_password("x" * MIN_PASSWORD_LEN))


def test_hashes_are_salted() -> None:
    first, second = hash_password("same password"), hash_password("same password")

    assert first != second
    assert first.split("$")[1] != second.split("$")[1]
    assert verify_password("same password", first)
    assert verify_password("same password", second)


def test_credentials_round_trip_and_are_not_readable_in_the_token() -> None:
    box = CredentialBox([_key()])
    credentials = {"access_token": "tok-PLAINTEXT-123", "refresh": "r", "expires": 3600, "scopes": ["w"]}

    token = box.encrypt(credentials)

    assert "tok-PLAINTEXT-123" not in token
    assert "access_token" not in token
    assert box.decrypt(token) == credentials


def test_encrypting_twice_gives_different_tokens() -> None:
    box = CredentialBox([_key()])

    assert box.encrypt({"a": 1}) != box.encrypt({"a": 1})


def test_a_token_from_an_old_key_decrypts_after_rotation_and_rotate_moves_it_to_the_new_key() -> None:
    old, new = _key(), _key()
    token = CredentialBox([old]).encrypt({"password": "hunter22"})
    both = CredentialBox([new, old])

    assert both.decrypt(token) == {"password": "hunter22"}
    with pytest.raises(StudioError):
        CredentialBox([new]).decrypt(token)

    rotated = both.rotate(token)

    assert rotated != token
    assert CredentialBox([new]).decrypt(rotated) == {"password": "hunter22"}
    with pytest.raises(StudioError):
        CredentialBox([old]).decrypt(rotated)


def test_new_tokens_are_made_with_the_newest_key() -> None:
    old, new = _key(), _key()

    token = CredentialBox([new, old]).encrypt({"k": "v"})

    assert CredentialBox([new]).decrypt(token) == {"k": "v"}


@pytest.mark.parametrize("token", ["not-a-token", ""])
def test_a_wrong_key_or_garbage_raises_studio_error(token: str) -> None:
    real = CredentialBox([_key()]).encrypt({"k": "v"})
    box = CredentialBox([_key()])

    with pytest.raises(StudioError):
        box.decrypt(real)
    with pytest.raises(StudioError):
        box.decrypt(token)


def test_a_box_needs_a_key() -> None:
    with pytest.raises(StudioError, match="STUDIO_SECRET_KEY"):
        CredentialBox([])
