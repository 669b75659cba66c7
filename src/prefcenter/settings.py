"""Typed settings groups, read from the environment once (``Settings.from_env``)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(RuntimeError):
    """A configuration problem that must stop start-up, with a message for the operator."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class DatabaseSettings:
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        _, _, rest = self.url.partition(":///")
        return Path(rest) if rest and rest != ":memory:" else None


@dataclass(frozen=True)
class KeySettings:
    """Where the master key, the HMAC pepper and the Ed25519 signing key live."""

    master_key_file: Path
    pepper_file: Path
    signing_key_file: Path
    generate_missing: bool
    previous_master_key_file: Path | None = None  # set during a master key rotation


def default_public_url(host: str, port: int) -> str:
    """The base URL of links when ``PREFCENTER_PUBLIC_URL`` is not set: the host and port actually served.

    A wildcard bind (``0.0.0.0``, ``::``) is no address a browser can open, so links name ``localhost``;
    an IPv6 literal gets its brackets.
    """
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 2_000_000
    cors_origins: tuple[str, ...] = ()
    # Networks (CIDR text, checked at start-up) of the reverse proxies whose X-Forwarded-For / Forwarded
    # headers name the client (http/client_address.py); none by default.
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthSettings:
    token_ttl_seconds: int = 900
    subject_token_ttl_seconds: int = 3600
    issuer: str = "prefcenter"


@dataclass(frozen=True)
class LogSettings:
    format: str = "auto"  # json | console | auto (console on a terminal, json otherwise)
    level: str = "INFO"


@dataclass(frozen=True)
class MailSettings:
    """SMTP delivery; with no host, messages go to a maildir under var/mail (development)."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    starttls: bool = False
    sender: str = "prefcenter <no-reply@prefcenter.local>"
    timeout_seconds: int = 10
    # Text messages (SMS): "package.module:factory", a callable(var_dir) returning a notify.sms.TextSender;
    # unset: each message is written under var/sms (development).
    sms_sender: str | None = None


@dataclass(frozen=True)
class DsrSettings:
    """GDPR requests, the job worker and downstream webhooks (times in seconds)."""

    ack_timeout_seconds: int = 7 * 24 * 3600  # how long an erasure waits for downstream acknowledgements
    export_link_ttl_seconds: int = 24 * 3600
    export_retention_seconds: int = 30 * 24 * 3600
    verification_code_ttl_seconds: int = 24 * 3600
    job_lease_seconds: int = 60
    job_max_attempts: int = 8
    job_backoff_seconds: float = 5.0
    worker_poll_seconds: float = 1.0
    worker_concurrency: int = 4
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 8
    webhook_backoff_seconds: float = 30.0
    # The privacy center: how long the requester's sealed address is kept after a request about someone we
    # hold no data about closes (proof that we answered), and how many requests one identity and one client
    # address may file per hour.
    no_data_proof_seconds: int = 90 * 24 * 3600
    privacy_requests_per_identity: int = 3
    privacy_requests_per_address: int = 10


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc


def dsr_settings_from_env() -> DsrSettings:
    d = DsrSettings()
    return DsrSettings(
        ack_timeout_seconds=_int("PREFCENTER_DSR_ACK_TIMEOUT", d.ack_timeout_seconds),
        export_link_ttl_seconds=_int("PREFCENTER_EXPORT_LINK_TTL", d.export_link_ttl_seconds),
        export_retention_seconds=_int("PREFCENTER_EXPORT_RETENTION", d.export_retention_seconds),
        verification_code_ttl_seconds=_int("PREFCENTER_DSR_CODE_TTL", d.verification_code_ttl_seconds),
        job_lease_seconds=_int("PREFCENTER_JOB_LEASE", d.job_lease_seconds),
        job_max_attempts=_int("PREFCENTER_JOB_MAX_ATTEMPTS", d.job_max_attempts),
        job_backoff_seconds=_float("PREFCENTER_JOB_BACKOFF", d.job_backoff_seconds),
        worker_poll_seconds=_float("PREFCENTER_WORKER_POLL", d.worker_poll_seconds),
        worker_concurrency=_int("PREFCENTER_WORKER_CONCURRENCY", d.worker_concurrency),
        webhook_timeout_seconds=_float("PREFCENTER_WEBHOOK_TIMEOUT", d.webhook_timeout_seconds),
        webhook_max_attempts=_int("PREFCENTER_WEBHOOK_MAX_ATTEMPTS", d.webhook_max_attempts),
        webhook_backoff_seconds=_float("PREFCENTER_WEBHOOK_BACKOFF", d.webhook_backoff_seconds),
        no_data_proof_seconds=_int("PREFCENTER_PRIVACY_NO_DATA_PROOF", d.no_data_proof_seconds),
        privacy_requests_per_identity=_int(
            "PREFCENTER_PRIVACY_REQUESTS_PER_IDENTITY", d.privacy_requests_per_identity
        ),
        privacy_requests_per_address=_int(
            "PREFCENTER_PRIVACY_REQUESTS_PER_ADDRESS", d.privacy_requests_per_address
        ),
    )


@dataclass(frozen=True)
class WidgetSettings:
    """The widget's links: double opt-in confirmation and "manage my preferences" (times in seconds/days)."""

    doi_pending_days: int = 7  # an unconfirmed double opt-in expires after this many days
    manage_link_ttl_seconds: int = 30 * 24 * 3600
    # a one-click unsubscribe link works this long after it was minted (mail laws expect weeks)
    unsubscribe_link_days: int = 90
    honour_gpc_header: bool = True  # Sec-GPC: 1 on widget writes opts honour_gpc topics out


def _unsubscribe_link_days() -> int:
    days = _int("PREFCENTER_UNSUBSCRIBE_LINK_DAYS", WidgetSettings.unsubscribe_link_days)
    if not 1 <= days <= 3650:
        raise SettingsError(f"PREFCENTER_UNSUBSCRIBE_LINK_DAYS must be 1 to 3650 days, got {days}")
    return days


def widget_settings_from_env() -> WidgetSettings:
    d = WidgetSettings()
    return WidgetSettings(
        doi_pending_days=_int("PREFCENTER_DOI_PENDING_DAYS", d.doi_pending_days),
        manage_link_ttl_seconds=_int("PREFCENTER_MANAGE_LINK_TTL", d.manage_link_ttl_seconds),
        unsubscribe_link_days=_unsubscribe_link_days(),
        honour_gpc_header=_env("PREFCENTER_HONOUR_GPC_HEADER", "1") == "1",
    )


@dataclass(frozen=True)
class RateLimitSettings:
    """Per-client request limits on the /v1 API (token bucket per process); 0 requests/s = no limit."""

    requests_per_second: float = 1000.0
    burst: int = 2000


def rate_limit_settings_from_env() -> RateLimitSettings:
    d = RateLimitSettings()
    return RateLimitSettings(
        requests_per_second=_float("PREFCENTER_RATE_LIMIT_RPS", d.requests_per_second),
        burst=_int("PREFCENTER_RATE_LIMIT_BURST", d.burst),
    )


@dataclass(frozen=True)
class SignInSettings:
    """Failed sign-ins (``/oauth/token``, ``/admin/login``) counted per (principal, client address) and per
    address in windows of ``window_seconds``; at the limit that key is refused (429) until its window ends."""

    max_failures: int = 10  # per principal (client id) and address
    max_failures_per_address: int = 100  # per address, whatever principal it tries
    window_seconds: int = 900


def sign_in_settings_from_env() -> SignInSettings:
    d = SignInSettings()
    made = SignInSettings(
        max_failures=_int("PREFCENTER_SIGN_IN_MAX_FAILURES", d.max_failures),
        max_failures_per_address=_int(
            "PREFCENTER_SIGN_IN_MAX_FAILURES_PER_ADDRESS", d.max_failures_per_address
        ),
        window_seconds=_int("PREFCENTER_SIGN_IN_WINDOW", d.window_seconds),
    )
    if made.max_failures < 1 or made.max_failures_per_address < 1 or made.window_seconds < 1:
        raise SettingsError(
            "PREFCENTER_SIGN_IN_MAX_FAILURES, PREFCENTER_SIGN_IN_MAX_FAILURES_PER_ADDRESS and "
            "PREFCENTER_SIGN_IN_WINDOW must be 1 or more"
        )
    return made


def trusted_proxies_from_env() -> tuple[str, ...]:
    """``PREFCENTER_TRUSTED_PROXIES``: comma-separated IP addresses or CIDR networks of reverse proxies."""
    networks = []
    for item in (_env("PREFCENTER_TRUSTED_PROXIES", "") or "").split(","):
        if not item.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError as exc:
            raise SettingsError(
                f"PREFCENTER_TRUSTED_PROXIES: {item.strip()!r} is not an IP address or CIDR network"
            ) from exc
    return tuple(networks)


@dataclass(frozen=True)
class CheckSettings:
    """Campaign-scale consent checks. ``workers``: processes answering long NDJSON streams, large batches
    and ``prefcenter check`` (checks/worker_pool.py); 0 answers them in the server process."""

    workers: int = 0


def check_settings_from_env() -> CheckSettings:
    workers = _int("PREFCENTER_CHECK_WORKERS", min(os.cpu_count() or 1, 8))
    if workers < 0:
        raise SettingsError(f"PREFCENTER_CHECK_WORKERS must be 0 or more, got {workers}")
    return CheckSettings(workers=workers)


@dataclass(frozen=True)
class StaffSettings:
    """Staff sign-in: a second factor required of admins and officers, and single sign-on with an OpenID
    Connect provider (on when ``oidc_issuer`` is set). The role comes from the ID token's ``oidc_role_claim``
    when that names a role, else from the role assigned in prefcenter."""

    require_mfa: bool = False
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_role_claim: str | None = None

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer)


def staff_settings_from_env() -> StaffSettings:
    made = StaffSettings(
        require_mfa=_env("PREFCENTER_REQUIRE_MFA", "0") == "1",
        oidc_issuer=(_env("PREFCENTER_OIDC_ISSUER") or "").rstrip("/") or None,
        oidc_client_id=_env("PREFCENTER_OIDC_CLIENT_ID"),
        oidc_client_secret=_env("PREFCENTER_OIDC_CLIENT_SECRET"),
        oidc_role_claim=_env("PREFCENTER_OIDC_ROLE_CLAIM"),
    )
    if made.oidc_issuer and not (made.oidc_client_id and made.oidc_client_secret):
        raise SettingsError(
            "PREFCENTER_OIDC_ISSUER needs PREFCENTER_OIDC_CLIENT_ID and PREFCENTER_OIDC_CLIENT_SECRET"
        )
    return made


@dataclass(frozen=True)
class InsightsSettings:
    """``min_group``: a group with fewer people than this shows no figures (``PREFCENTER_INSIGHTS_MIN_GROUP``);
    ``reach_every_seconds``: how often the worker recounts the reachable audience."""

    min_group: int = 5
    reach_every_seconds: int = 300


def insights_settings_from_env() -> InsightsSettings:
    min_group = _int("PREFCENTER_INSIGHTS_MIN_GROUP", 5)
    if min_group < 1:
        raise SettingsError(f"PREFCENTER_INSIGHTS_MIN_GROUP must be 1 or more, got {min_group}")
    return InsightsSettings(
        min_group=min_group, reach_every_seconds=_int("PREFCENTER_INSIGHTS_REACH_EVERY", 300)
    )


@dataclass(frozen=True)
class CompanySettings:
    name: str = "Example Company"


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database: DatabaseSettings
    keys: KeySettings
    server: ServerSettings = field(default_factory=ServerSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    log: LogSettings = field(default_factory=LogSettings)
    company: CompanySettings = field(default_factory=CompanySettings)
    mail: MailSettings = field(default_factory=MailSettings)
    widget: WidgetSettings = field(default_factory=WidgetSettings)
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    dsr: DsrSettings = field(default_factory=DsrSettings)
    checks: CheckSettings = field(default_factory=CheckSettings)
    sign_in: SignInSettings = field(default_factory=SignInSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    insights: InsightsSettings = field(default_factory=InsightsSettings)

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(_env("PREFCENTER_VAR_DIR", "./var")).resolve()
        default_db = f"sqlite+aiosqlite:///{var_dir / 'prefcenter.db'}"
        database = DatabaseSettings(url=_env("PREFCENTER_DATABASE_URL", default_db))
        keys = KeySettings(
            master_key_file=Path(_env("PREFCENTER_MASTER_KEY_FILE", str(var_dir / "master.key"))),
            pepper_file=Path(_env("PREFCENTER_PEPPER_FILE", str(var_dir / "pepper.key"))),
            signing_key_file=Path(_env("PREFCENTER_SIGNING_KEY_FILE", str(var_dir / "signing.key"))),
            # Only the embedded (SQLite) default may invent keys; production must supply them.
            generate_missing=database.is_sqlite,
            previous_master_key_file=(
                Path(_env("PREFCENTER_PREVIOUS_MASTER_KEY_FILE"))
                if _env("PREFCENTER_PREVIOUS_MASTER_KEY_FILE")
                else None
            ),
        )
        host = _env("PREFCENTER_HOST", "127.0.0.1")
        port = _int("PREFCENTER_PORT", 8000)
        log_format = _env("PREFCENTER_LOG_FORMAT", "auto")
        if log_format not in ("json", "console", "auto"):
            raise SettingsError(f"PREFCENTER_LOG_FORMAT must be json, console or auto, got {log_format!r}")
        origins = tuple(
            o.strip() for o in (_env("PREFCENTER_CORS_ORIGINS", "") or "").split(",") if o.strip()
        )
        return cls(
            var_dir=var_dir,
            database=database,
            keys=keys,
            server=ServerSettings(
                host=host,
                port=port,
                public_url=_env("PREFCENTER_PUBLIC_URL", default_public_url(host, port)).rstrip("/"),
                max_body_bytes=_int("PREFCENTER_MAX_BODY_BYTES", 2_000_000),
                cors_origins=origins,
                trusted_proxies=trusted_proxies_from_env(),
            ),
            auth=AuthSettings(
                token_ttl_seconds=_int("PREFCENTER_TOKEN_TTL", 900),
                subject_token_ttl_seconds=_int("PREFCENTER_SUBJECT_TOKEN_TTL", 3600),
            ),
            log=LogSettings(
                format=log_format, level=(_env("PREFCENTER_LOG_LEVEL", "INFO") or "INFO").upper()
            ),
            company=CompanySettings(name=_env("PREFCENTER_COMPANY_NAME", "Example Company")),
            mail=MailSettings(
                smtp_host=_env("PREFCENTER_SMTP_HOST"),
                smtp_port=_int("PREFCENTER_SMTP_PORT", 25),
                smtp_user=_env("PREFCENTER_SMTP_USER"),
                smtp_password=_env("PREFCENTER_SMTP_PASSWORD"),
                starttls=_env("PREFCENTER_SMTP_STARTTLS", "0") == "1",
                sender=_env("PREFCENTER_MAIL_FROM", "prefcenter <no-reply@prefcenter.local>"),
                sms_sender=_env("PREFCENTER_SMS_SENDER"),
            ),
            dsr=dsr_settings_from_env(),
            widget=widget_settings_from_env(),
            rate_limit=rate_limit_settings_from_env(),
            checks=check_settings_from_env(),
            sign_in=sign_in_settings_from_env(),
            staff=staff_settings_from_env(),
            insights=insights_settings_from_env(),
        )
