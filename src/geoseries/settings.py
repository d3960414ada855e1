"""Runtime configuration, read from `GEOSERIES_*` environment variables (nested with `__`).

Nothing is read at import time: `Settings()` is constructed by the CLI or by `create_app` callers,
so tests and embedders can build as many independent configurations as they like.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the documented placeholder, refused outside development


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class HttpSettings(BaseModel):
    """Where the HTTP server listens and how much it accepts."""

    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: Annotated[int, Field(ge=1, le=65535)] = Field(8000, description="HTTP port.")
    max_body_bytes: Annotated[int, Field(ge=1024)] = Field(
        16 * 1024 * 1024,
        description="Largest request body accepted (the limit of ingest routes); larger bodies "
        "answer 413 PAYLOAD-TOO-LARGE.",
    )
    max_control_body_bytes: Annotated[int, Field(ge=1024)] = Field(
        64 * 1024,
        description="Largest request body accepted by control routes (everything but ingest), "
        "capped by `max_body_bytes`; larger bodies answer 413 PAYLOAD-TOO-LARGE.",
    )


class RateLimitSettings(BaseModel):
    """Requests allowed per caller (credential, else client IP) and route class.

    Limits are written `<count>/<period>` as the `limits` library parses them, e.g. `150/minute`,
    `10/second`, `1000/hour`; an unset route-class limit falls back to `default`.
    """

    enabled: bool = Field(True, description="Answer 429 to callers over their rate limit.")
    default: str = Field(
        "150/minute",
        description="Limit of routes without one of their own (Smart Citizen's reference).",
    )
    login: str = Field(
        "10/minute",
        description="Limit of the login routes (`/v3/login`, `/oauth/token`, `/v0/sessions`), "
        "per client IP: slows password guessing.",
    )
    ingest: str | None = Field(
        None, description="Limit of ingest routes (readings, observations); unset: `default`."
    )
    control: str | None = Field(None, description="Limit of every other route; unset: `default`.")


class MqttSettings(BaseModel):
    """The MQTT broker that devices publish to, and whether Geoseries runs one itself."""

    enabled: bool = Field(
        True, description="Subscribe to the broker and ingest what devices publish."
    )
    embedded: bool = Field(
        True, description="Start the embedded broker (amqtt) inside `geoseries serve`."
    )
    host: str = Field("127.0.0.1", description="Broker host (the embedded broker binds here too).")
    port: Annotated[int, Field(ge=1, le=65535)] = Field(1883, description="Broker port.")
    topic_prefix: str = Field(
        "geoseries", description="Observations are published to `<prefix>/<dataset>/observations`."
    )
    device_topic_prefix: str = Field(
        "device/sck",
        description="Devices publish readings to `<prefix>/<device token>/readings` (JSON) and "
        "`<prefix>/<device token>/readings/raw` (Smart Citizen's compact form).",
    )
    client_id: str | None = Field(
        None,
        description="MQTT session name of the ingest subscriber "
        "(default `geoseries-ingest-<host>`); keep it stable so the broker holds messages "
        "while Geoseries restarts.",
    )


class FeaturesSettings(BaseModel):
    """Pages of the features APIs (Kano: `paginate: {default: 5000, max: 5000}`)."""

    default_limit: Annotated[int, Field(ge=1)] = Field(
        5000, description="Documents per page when a query gives no `$limit`."
    )
    max_limit: Annotated[int, Field(ge=1)] = Field(
        5000, description="Most documents per page, whatever `$limit` asks."
    )


class DevicesSettings(BaseModel):
    """Devices (Smart Citizen kits) and where their features live."""

    dataset: str = Field(
        "devices",
        description="The dataset holding one feature per device (key: the device id), created "
        "on first use with no owning organization and not public.",
    )


class JwtAlgorithm(StrEnum):
    HS256 = "HS256"
    HS384 = "HS384"
    HS512 = "HS512"
    RS256 = "RS256"
    ES256 = "ES256"


ASYMMETRIC_ALGORITHMS = frozenset({JwtAlgorithm.RS256, JwtAlgorithm.ES256})


class JwtSettings(BaseModel):
    """How JSON Web Tokens are signed and checked; the defaults are Kano's."""

    algorithm: JwtAlgorithm = Field(
        JwtAlgorithm.HS256,
        description="The one algorithm tokens must use; HS* sign with the secret key, "
        "RS256/ES256 with the key files.",
    )
    issuer: str = Field("kalisio", description="`iss` of issued tokens, required on verified ones.")
    audience: str = Field(
        "kalisio", description="`aud` of issued tokens, required on verified ones."
    )
    leeway: Annotated[int, Field(ge=0)] = Field(
        10, description="Seconds of clock skew tolerated when checking `exp` and `nbf`."
    )
    max_lifetime: Annotated[int, Field(ge=1)] = Field(
        36000, description="Longest lifetime, in seconds, of tokens issued at login (10 hours)."
    )
    private_key_file: Path | None = Field(
        None, description="PEM private key that signs tokens (RS256/ES256 only)."
    )
    public_key_file: Path | None = Field(
        None, description="PEM public key that verifies tokens (RS256/ES256 only)."
    )

    @model_validator(mode="after")
    def _asymmetric_needs_key_files(self) -> JwtSettings:
        if self.algorithm in ASYMMETRIC_ALGORITHMS and not (
            self.private_key_file and self.public_key_file
        ):
            raise ValueError(
                f"jwt algorithm {self.algorithm.value} needs GEOSERIES_JWT__PRIVATE_KEY_FILE "
                "and GEOSERIES_JWT__PUBLIC_KEY_FILE"
            )
        return self


class Settings(BaseSettings):
    """Every setting Geoseries reads; docs/configuration.md lists them and a test keeps it true."""

    model_config = SettingsConfigDict(
        env_prefix="GEOSERIES_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="`development` or `production`; production refuses the placeholder secret.",
    )
    data_dir: Path = Field(
        Path("data"), description="Holds the SQLite file, stored files and exports."
    )
    database_url: str | None = Field(
        None,
        description="`sqlite:///path/file.db` or `postgresql://user@host:port/db`; "
        "default: `sqlite:///<data_dir>/geoseries.db`.",
    )
    secret_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET), description="Signs tokens. Must be changed in production."
    )
    log_level: str = Field("INFO", description="Python logging level name.")
    http: HttpSettings = Field(default_factory=HttpSettings)
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    jwt: JwtSettings = Field(default_factory=JwtSettings)
    features: FeaturesSettings = Field(default_factory=FeaturesSettings)
    devices: DevicesSettings = Field(default_factory=DevicesSettings)
    api_key_authentication: bool = Field(
        True, description="Accept organization API keys (`X-API-KEY`); false switches them off."
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        placeholder = self.secret_key.get_secret_value() == PLACEHOLDER_SECRET
        if placeholder and self.environment is not Environment.DEVELOPMENT:
            raise ValueError(
                "GEOSERIES_SECRET_KEY is the placeholder; set a real secret outside development"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'geoseries.db'}"
