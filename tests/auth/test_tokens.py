"""JWT issuing and the attacks the verifier must refuse, each with a message that leaks nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from geoseries.auth.tokens import MAX_TOKEN_LENGTH, TokenService
from geoseries.errors import NotAuthenticated
from geoseries.settings import Settings
from tests.auth.conftest import SECRET, hs_settings, key_settings


def refused(service: TokenService, token: str, reason: str = "invalid token", **kw: Any) -> None:
    with pytest.raises(NotAuthenticated) as caught:
        service.verify(token, **kw)
    message = str(caught.value)
    # One fixed sentence per reason: nothing of the token or the key can reach the client.
    assert message == caught.value.message == reason
    assert SECRET not in message


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    # Valid for an hour: parametrize builds these at collection, minutes before the test runs.
    return {"sub": "ann", "iss": "kalisio", "aud": "kalisio", "iat": now, "exp": now + 3600} | {
        k: v for k, v in overrides.items() if v is not None
    }


def sign(payload: dict[str, Any], secret: str | bytes = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], hmac_secret: bytes | None) -> str:
    """A token built by hand, as an attacker would (PyJWT refuses to make these)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if hmac_secret is None:
        return signing_input + "."
    digest = hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(digest)}"


# -- issuing ------------------------------------------------------------------------------------


def test_issue_and_verify(hs: TokenService) -> None:
    before = int(time.time())
    issued = hs.issue("ann@example.org", permissions=["features.read"], extra={"org": 3})
    verified = hs.verify(issued.token)
    assert verified["sub"] == "ann@example.org"
    assert verified["permissions"] == ["features.read"]
    assert verified["org"] == 3
    assert verified["jti"] == issued.jti
    assert (verified["iss"], verified["aud"]) == ("kalisio", "kalisio")
    assert before <= verified["iat"] <= int(time.time())
    assert verified["exp"] == issued.expires_at == verified["iat"] + 36000


def test_issued_lifetime_is_capped_by_max_lifetime() -> None:
    service = TokenService(hs_settings(max_lifetime=600))
    capped = service.verify(service.issue("ann", lifetime=10**6).token)
    assert capped["exp"] - capped["iat"] == 600
    short = service.verify(service.issue("ann", lifetime=60).token)
    assert short["exp"] - short["iat"] == 60


def test_jti_is_unique(hs: TokenService) -> None:
    assert len({hs.issue("ann").jti for _ in range(50)}) == 50


def test_a_jti_is_hex_so_the_cli_never_reads_it_as_an_option(hs: TokenService) -> None:
    # token_urlsafe made one in 32 start with "-": `geoseries token revoke -E8w...` failed.
    jtis = [hs.issue("ann").jti for _ in range(200)]
    assert all(re.fullmatch("[0-9a-f]{48}", jti) for jti in jtis)


def test_stateless_token_honours_its_lifetime(hs: TokenService) -> None:
    issued = hs.issue_stateless("bot", lifetime=30 * 86400, audience="a.example", issuer="me")
    assert issued.expires_at is not None
    decoded = jwt.decode(issued.token, SECRET, algorithms=["HS256"], audience="a.example")
    assert decoded["exp"] - decoded["iat"] == 30 * 86400  # beyond max_lifetime: no cap
    assert (decoded["name"], decoded["sub"], decoded["iss"]) == ("bot", "bot", "me")
    forever = hs.issue_stateless("bot", permissions=["features"])
    assert forever.expires_at is None
    assert "exp" not in hs.verify(forever.token)
    with pytest.raises(ValueError, match="positive"):
        hs.issue_stateless("bot", lifetime=0)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_asymmetric_algorithms(tmp_path: Path, algorithm: str) -> None:
    service = TokenService(key_settings(tmp_path, algorithm))
    token = service.issue("ann").token
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert service.verify(token)["sub"] == "ann"


def test_asymmetric_algorithms_need_key_files(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="PRIVATE_KEY_FILE"):
        Settings(jwt={"algorithm": "RS256"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="PUBLIC_KEY_FILE"):
        Settings(jwt={"algorithm": "ES256", "private_key_file": tmp_path / "k.pem"})  # type: ignore[arg-type]


def test_key_files_are_read_lazily(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    service = TokenService(
        hs_settings(algorithm="RS256", private_key_file=missing, public_key_file=missing)
    )
    with pytest.raises(FileNotFoundError):
        service.issue("ann")


# -- attacks ------------------------------------------------------------------------------------


def test_alg_none_is_refused(hs: TokenService) -> None:
    refused(hs, forge({"alg": "none", "typ": "JWT"}, claims(), None))
    refused(hs, forge({"alg": "None"}, claims(), None))
    refused(hs, jwt.encode(claims(), None, algorithm="none"))


def test_hs_rs_confusion_is_refused(rs: TokenService, rs_settings: Settings) -> None:
    assert rs_settings.jwt.public_key_file is not None
    public_pem = rs_settings.jwt.public_key_file.read_bytes()
    refused(rs, forge({"alg": "HS256", "typ": "JWT"}, claims(), public_pem))
    refused(rs, forge({"alg": "HS256"}, claims(), public_pem.strip()))
    refused(rs, sign(claims()))  # an HS256 token signed with the app secret


def test_rs_token_against_hs_settings_is_refused(rs: TokenService, hs: TokenService) -> None:
    refused(hs, rs.issue("ann").token)


def test_other_hs_algorithm_is_refused(hs: TokenService) -> None:
    refused(hs, sign(claims(), algorithm="HS512"))


def test_tampered_payload_is_refused(hs: TokenService) -> None:
    header, _, signature = hs.issue("ann", permissions=["features.read"]).token.split(".")
    payload = b64(json.dumps(claims(permissions=["admin"], admin=True)).encode())
    refused(hs, f"{header}.{payload}.{signature}")


def test_wrong_signature_is_refused(hs: TokenService) -> None:
    refused(hs, sign(claims(), "another-secret-that-is-also-long-enough-for-hs256"))
    header, payload, _ = hs.issue("ann").token.split(".")
    refused(hs, f"{header}.{payload}.{b64(b'x' * 32)}")
    refused(hs, f"{header}.{payload}.")


@pytest.mark.parametrize(
    "payload",
    [
        claims(iss="someone-else"),
        claims(aud="someone-else"),
        claims(aud=["other", "another"]),
        {k: v for k, v in claims().items() if k != "iss"},
        {k: v for k, v in claims().items() if k != "aud"},
    ],
    ids=["wrong-iss", "wrong-aud", "wrong-aud-list", "no-iss", "no-aud"],
)
def test_issuer_and_audience_are_checked(hs: TokenService, payload: dict[str, Any]) -> None:
    refused(hs, sign(payload))


def test_audience_list_containing_ours_is_accepted(hs: TokenService) -> None:
    assert hs.verify(sign(claims(aud=["other", "kalisio"])))["sub"] == "ann"


def test_configured_issuer_and_audience() -> None:
    service = TokenService(hs_settings(issuer="geo", audience="planet.example.org"))
    assert service.verify(service.issue("ann").token)["aud"] == "planet.example.org"
    refused(service, sign(claims()))  # kalisio/kalisio is no longer accepted


def test_expired_beyond_leeway_is_refused(hs: TokenService) -> None:
    refused(hs, sign(claims(exp=int(time.time()) - 60)), "token expired")


def test_expired_within_leeway_is_accepted(hs: TokenService) -> None:
    assert hs.verify(sign(claims(exp=int(time.time()) - 5)))["sub"] == "ann"


def test_not_yet_valid_is_refused(hs: TokenService) -> None:
    refused(hs, sign(claims(nbf=int(time.time()) + 120)), "token not yet valid")
    assert hs.verify(sign(claims(nbf=int(time.time()) + 5)))["sub"] == "ann"  # within leeway


def test_malformed_time_claims_are_refused(hs: TokenService) -> None:
    refused(hs, sign(claims(exp="tomorrow")))
    refused(hs, sign(claims(nbf="soon")))


def test_revoked_jti_is_refused(hs: TokenService) -> None:
    issued = hs.issue("ann")
    assert hs.verify(issued.token, revoked=lambda jti: False)["jti"] == issued.jti
    refused(hs, issued.token, "token revoked", revoked={issued.jti}.__contains__)
    refused(hs, sign(claims(jti=12)), revoked=lambda jti: False)


def test_oversized_token_is_refused_before_decoding(hs: TokenService) -> None:
    big = hs.issue("ann", extra={"padding": "x" * MAX_TOKEN_LENGTH}).token
    refused(hs, big)
    fits = hs.issue("ann", extra={"padding": "x" * 5000}).token
    assert len(fits) <= MAX_TOKEN_LENGTH
    assert hs.verify(fits)["sub"] == "ann"


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "..", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "eyJ.eyJ.sig", "null", "\x00" * 10],
)
def test_garbage_is_refused(hs: TokenService, garbage: str) -> None:
    refused(hs, garbage)


@settings(max_examples=200)
@given(st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_\-]{0,60}(\.[A-Za-z0-9_\-=]{0,60}){2}"))
def test_arbitrary_text_is_refused(garbage: str) -> None:
    refused(TokenService(hs_settings()), garbage)


def test_non_string_token_is_refused(hs: TokenService) -> None:
    with pytest.raises(NotAuthenticated, match="invalid token"):
        hs.verify(42)  # type: ignore[arg-type]
