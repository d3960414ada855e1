"""Token services for the security tests: HS256 with the app secret, RS256/ES256 with key files."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from geoseries.auth.tokens import TokenService
from geoseries.settings import Settings

SECRET = "a-test-secret-long-enough-for-hmac-sha512-" + "0123456789" * 3


def hs_settings(**jwt: object) -> Settings:
    return Settings(secret_key=SECRET, jwt=jwt)  # type: ignore[arg-type]


def write_key_pair(directory: Path, algorithm: str) -> tuple[Path, Path]:
    """PEM files of a fresh RSA (RS256) or P-256 (ES256) key pair."""
    private = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    private_file, public_file = directory / "private.pem", directory / "public.pem"
    private_file.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_file.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_file, public_file


def key_settings(directory: Path, algorithm: str) -> Settings:
    private, public = write_key_pair(directory, algorithm)
    return hs_settings(algorithm=algorithm, private_key_file=private, public_key_file=public)


@pytest.fixture
def hs() -> TokenService:
    return TokenService(hs_settings())


@pytest.fixture(scope="module")
def rs_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return key_settings(tmp_path_factory.mktemp("rs256"), "RS256")


@pytest.fixture
def rs(rs_settings: Settings) -> TokenService:
    return TokenService(rs_settings)
