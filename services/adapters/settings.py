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
    ingest_rate_per_s: float = Field(default=2000.0, gt=0)
    """Events per second each ingest token may publish, sustained (token bucket)."""
    ingest_burst: int = Field(default=5000, ge=1)
    """Events a token may publish at once above the sustained rate (bucket size)."""
    token_cache_s: float = Field(default=2.0, ge=0, le=300)
    """How long the ingest API reuses a verified token; a revocation takes effect within it."""
    publish_timeout_s: float = Field(default=10.0, gt=0, le=300)
    """How long the ingest API waits for the broker's acknowledgement before answering 503."""


class PrivacySettings(BaseModel):
    suppression_threshold: int = Field(default=5, ge=1, le=100)
    """Counts from 1 to threshold-1 are hidden from monitors."""


class FlowsSettings(BaseModel):
    """The flows service: event-time windows, de-duplication, batching and publishing."""

    grace_s: int = Field(default=3600, ge=0, le=30 * 86400)
    """How long after its end a window still counts late events (event time)."""
    dedup_days: int = Field(default=7, ge=1, le=365)
    """How long a decision id is remembered to drop a redelivered decision."""
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    linger_ms: int = Field(default=500, ge=0, le=60_000)
    """The broker may hold a fetch this long to gather more to count in one transaction:
    aggregates are published every `publish_interval_s`, so counting sooner gains nothing."""
    publish_interval_s: float = Field(default=10.0, gt=0, le=3600)
    """How often the aggregates of changed windows are recomputed and published."""
    dashboard_poll_s: int = Field(default=3, ge=1, le=300)


class CaseworkSettings(BaseModel):
    """The casework worker (decisions, referral updates, SLA timer, outbox) and the cases API."""

    batch_size: int = Field(default=2000, ge=1, le=100_000)
    """Records fetched and written in one transaction."""
    linger_ms: int = Field(default=50, ge=0, le=60_000)
    """The broker may hold a fetch this long to gather more to write in one transaction: a
    transaction costs about the same for one decision as for a hundred."""
    sla_interval_s: float = Field(default=30.0, gt=0, le=86400)
    """How often the worker looks for overdue referrals."""
    sla_batch: int = Field(default=1000, ge=1, le=100_000)
    outbox_interval_s: float = Field(default=1.0, gt=0, le=3600)
    """How often the worker publishes outbox rows it did not write (API updates, a crash)."""
    outbox_batch: int = Field(default=1500, ge=1, le=100_000)
    """Outbox rows the relay publishes per round; a row holds a decision's changes (about 3.5)."""
    page_size: int = Field(default=50, ge=1, le=1000)
    max_page_size: int = Field(default=500, ge=1, le=10_000)
    directory_file: Path | None = None
    """The service directory; unset means `routing_rules/directory.yaml` of this release."""


class RouterSettings(BaseModel):
    """The router: how long a fetch may wait for more events, and the re-sent events it drops."""

    dedup_max_entries: int = Field(default=200_000, ge=1, le=50_000_000)
    """Per inbound partition; the oldest are forgotten first."""
    dedup_ttl_h: float = Field(default=168.0, gt=0, le=24 * 365)
    """By event time; also the retention of the `mixflow.router.dedup` topic."""
    linger_ms: int = Field(default=0, ge=0, le=1000)
    """How long the broker may hold a fetch to gather more events into one batch; 0 answers
    as events arrive. Measured over `mixflow bench e2e --events 10000 --rate 1000`, 10 ms
    took the router from 14.4-14.7 % to 11.9-12.6 % of a core, but the broker's CPU per
    event during the flood rose from 0.16-0.17 to 0.26-0.29 ms and the decision's p50 from
    6-11 to 15-16 ms: worth setting only for steady, moderate rates."""


class RulesAdminSettings(BaseModel):
    """The rules API and `mixflow rules` administration commands."""

    simulation_max_events: int = Field(default=100_000, ge=1, le=10_000_000)
    """Most recent inbound events a simulation routes (the API's bound; the CLI's default)."""
    simulation_time_budget_s: float = Field(default=60.0, gt=0, le=3600)
    """A simulation stops (and says so in its report) once it has run this long."""
    simulation_examples: int = Field(default=5, ge=0, le=100)
    """Example event ids kept per pathway gained or lost and per safeguard fired."""


class TelemetrySettings(BaseModel):
    exporter: Literal["none", "console", "otlp"] = "none"
    otlp_endpoint: str = "http://127.0.0.1:4318"
    """OTLP over HTTP (the collector's port 4318)."""
    service_namespace: str = "mixflow"
    metrics_port_base: int = Field(default=9464, ge=0, le=65000)
    """Workers serve Prometheus metrics on base + 0 (router), 1 (casework), 2 (flows); 0: off.
    APIs serve theirs on `/metrics` of their own port."""


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
    flows: FlowsSettings = FlowsSettings()
    casework: CaseworkSettings = CaseworkSettings()
    router: RouterSettings = RouterSettings()
    rules_admin: RulesAdminSettings = RulesAdminSettings()
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
