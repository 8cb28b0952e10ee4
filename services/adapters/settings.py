"""One typed settings object, read once from `MIXFLOW_*` environment variables by an entrypoint.

Nested sections use a double underscore: `MIXFLOW_KAFKA__BOOTSTRAP=127.0.0.1:9092`. Every value has
a safe local default so that a first run needs no configuration; production refuses to start with
placeholder secrets.
"""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-local-only"


def default_state_dir() -> Path:
    """Runtime state (broker data, logs, SQLite file) lives outside the source tree by default."""
    return Path.home() / ".local" / "state" / "mixflow"


def default_cache_dir() -> Path:
    """Downloaded artefacts (the broker's jars) are shared between checkouts on one machine."""
    return Path.home() / ".cache" / "mixflow"


class KafkaSettings(BaseModel):
    bootstrap: str = "127.0.0.1:9092"
    controller_port: int = Field(default=9093, ge=1, le=65535)
    version: str = "3.9.1"
    heap: str = "512m"
    partitions: int = Field(default=4, ge=1, le=1000)
    topic_prefix: str = Field(default="", pattern=r"^[a-zA-Z0-9._-]*$", max_length=100)
    """Prepended to every topic name, so that several stacks (or test runs) share one cluster."""
    start_timeout_s: float = Field(default=60.0, gt=0)
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None

    @property
    def port(self) -> int:
        return int(self.bootstrap.rsplit(":", 1)[1])

    @property
    def host(self) -> str:
        return self.bootstrap.rsplit(":", 1)[0]


class PostgresSettings(BaseModel):
    """The project's own PostgreSQL cluster, started by `mixflow db up` for tests and real runs."""

    host: str = "127.0.0.1"
    port: int = Field(default=55432, ge=1, le=65535)
    user: str = "mixflow"
    password: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    database: str = "mixflow"

    def url(self, database: str | None = None) -> str:
        return (
            f"postgresql+psycopg://{self.user}:{self.password.get_secret_value()}"
            f"@{self.host}:{self.port}/{database or self.database}"
        )


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    ingest_port: int = Field(default=8081, ge=1, le=65535)
    cases_port: int = Field(default=8082, ge=1, le=65535)
    flows_port: int = Field(default=8083, ge=1, le=65535)
    rules_port: int = Field(default=8084, ge=1, le=65535)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_batch_events: int = Field(default=500, ge=1)


class PrivacySettings(BaseModel):
    suppression_threshold: int = Field(default=5, ge=1, le=100)
    """Counts from 1 to threshold-1 are hidden from monitors."""


class TelemetrySettings(BaseModel):
    exporter: Literal["none", "console", "otlp"] = "none"
    otlp_endpoint: str = "http://127.0.0.1:4317"
    service_namespace: str = "mixflow"


class Settings(BaseSettings):
    """Effective configuration of every mixflow process."""

    model_config = SettingsConfigDict(
        env_prefix="MIXFLOW_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    environment: Literal["local", "test", "production"] = "local"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    state_dir: Path = Field(default_factory=default_state_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    database_url: str | None = None
    """SQLAlchemy URL; unset means the embedded SQLite file under `state_dir`."""
    token_pepper: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    four_eyes: bool = True
    kafka: KafkaSettings = KafkaSettings()
    postgres: PostgresSettings = PostgresSettings()
    api: ApiSettings = ApiSettings()
    privacy: PrivacySettings = PrivacySettings()
    telemetry: TelemetrySettings = TelemetrySettings()

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        for name, secret in (
            ("MIXFLOW_TOKEN_PEPPER", self.token_pepper),
            ("MIXFLOW_POSTGRES__PASSWORD", self.postgres.password),
        ):
            if secret.get_secret_value() == PLACEHOLDER_SECRET:
                raise ValueError(f"{name} still holds the local placeholder; set a real secret")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'mixflow.db'}"

    def masked(self) -> dict[str, object]:
        """The configuration as plain data with every secret replaced by `**********`."""
        data: dict[str, object] = self.model_dump(mode="json")
        data["effective_database_url"] = mask_url(self.effective_database_url)
        if self.database_url:
            data["database_url"] = mask_url(self.database_url)
        return data


def mask_url(url: str) -> str:
    """Hide the password of a URL such as `postgresql://user:secret@host/db`."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, location = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:**********@{location}"
