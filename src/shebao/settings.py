"""Settings: every knob is a SHEBAO_* environment variable with a sane default."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shebao.core.errors import DomainError

# A development secret: good enough for the demo province on a laptop, refused in production.
DEV_SECRET = "shebao-development-secret-do-not-use-in-production"
# Production secrets: at least 32 characters (the secret key is used through HKDF without stretching, so
# its own strength is all there is: 32 characters of `secrets.token_urlsafe` carry ~190 bits), not the
# public development secret, not one character repeated (at least MIN_SECRET_DISTINCT different ones),
# and the two secrets different, so one leak does not open both the data and the card keys.
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 8


class UnsafeSettings(DomainError):
    """Production refuses to start with secrets anyone could guess."""

    status_code = 500


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHEBAO_", extra="ignore")

    environment: str = Field("development", description="development | test | production")
    database_url: str = "sqlite:///./shebao.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Master secret from which the data-encryption and lookup keys are derived (HKDF).
    # A later issue replaces it with the key hierarchy; production must set it.
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = 60
    # Failed logins (see accounts/service.py): per account from one address, and passwords re-entered in a session;
    login_max_failures: int = Field(5, ge=1)
    login_lock_minutes: int = Field(15, ge=1)
    # per account from every address together; per address whatever the account; counted within a window.
    login_account_max_failures: int = Field(20, ge=1)
    login_source_max_failures: int = Field(30, ge=1)
    login_source_lock_minutes: int = Field(30, ge=1)
    login_failure_window_minutes: int = Field(60, ge=1)
    max_request_bytes: int = 1_048_576
    log_level: str = "INFO"
    log_json: bool = True
    # Private card keys live encrypted on disk here, never in the database (root, ministry, provinces).
    key_dir: str = "./var/keys"
    key_passphrase: str = DEV_SECRET
    # The audit chain's anchor, outside the database: the Ed25519 audit key (sealed with the key passphrase)
    # and the signed checkpoint files; empty means <key_dir>/audit and <key_dir>/audit/checkpoints.
    audit_key_dir: str = ""
    audit_checkpoint_dir: str = ""
    # The served app signs a checkpoint this often when the chain has grown (0: only on demand and after batches).
    audit_checkpoint_minutes: float = 10
    # The comparison's engine (comparison/engine.py): duckdb on one machine, spark for the national job.
    comparison_engine: str = Field("duckdb", pattern="^(duckdb|spark)$")
    demo_province: str = "110000"
    demo_persons: int = 10_000
    # A TrueType font with Chinese glyphs for the pension letter's PDF; empty: the first of web/letter_pdf.py's
    # CJK_FONTS found (Debian's fonts-droid-fallback, which .ci/run installs, or fonts-wqy-microhei / -zenhei).
    letter_font: str = ""
    # Exchange by message (comparison/registry_exchange.py): our sender id in the envelopes, where the platform's
    # Ed25519 signing key is sealed (empty: <key_dir>/exchange), how far a message's time may stray from ours, and
    # how long we wait for a partner's callback.
    exchange_platform_id: str = "shebao"
    exchange_key_dir: str = ""
    exchange_message_window_seconds: int = Field(300, ge=1)
    exchange_http_timeout_seconds: float = Field(10, gt=0)
    # The outbox (comparison/outbox.py): a failed delivery is retried after backoff × 2^(attempt-1) seconds (at most
    # the cap), and given up as dead after the last attempt; a message claimed by a sender is left alone for the lease.
    # Dev senders of SMS, app and letter messages write JSON lines under outbox_dir.
    outbox_max_attempts: int = Field(8, ge=1)
    outbox_backoff_seconds: int = Field(60, ge=1)
    outbox_backoff_max_seconds: int = Field(6 * 3600, ge=1)
    outbox_lease_seconds: int = Field(300, ge=1)
    outbox_dir: str = "./var/outbox"

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        if value not in {"development", "test", "production"}:
            raise ValueError("environment must be development, test or production")
        return value

    def check_production_safety(self) -> None:
        """Refuse to run production with a weak secret (see MIN_SECRET_LENGTH); other environments pass."""
        if self.environment != "production":
            return
        secrets = (("SHEBAO_SECRET_KEY", "数据加密主密钥", self.secret_key), ("SHEBAO_KEY_PASSPHRASE", "卡密钥口令", self.key_passphrase))
        weak = [(variable, name_zh) for variable, name_zh, value in secrets if _weak_secret(value)]
        if weak:
            variables = [variable for variable, _ in weak]
            raise UnsafeSettings(
                "settings.weak_secret",
                f"生产环境拒绝运行：{'和'.join(name for _, name in weak)}未设置或强度不足（至少 {MIN_SECRET_LENGTH} 个字符、"
                f"不少于 {MIN_SECRET_DISTINCT} 种不同字符，且不能是开发用密钥）",
                f"production refuses to run: {' and '.join(variables)} unset or weak (at least {MIN_SECRET_LENGTH} characters, "
                f"{MIN_SECRET_DISTINCT} different ones, and not the development secret); "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'", variables=variables)
        if self.secret_key == self.key_passphrase:
            raise UnsafeSettings("settings.same_secret", "生产环境拒绝运行：数据加密主密钥与卡密钥口令不能相同",
                                 "production refuses to run: SHEBAO_SECRET_KEY and SHEBAO_KEY_PASSPHRASE must differ",
                                 variables=["SHEBAO_SECRET_KEY", "SHEBAO_KEY_PASSPHRASE"])

    def secret_fingerprint(self) -> str:
        digest = hashlib.sha256(self.secret_key.encode()).digest()[:6]
        return base64.b32encode(digest).decode().rstrip("=")


def _weak_secret(value: str) -> bool:
    return len(value) < MIN_SECRET_LENGTH or len(set(value)) < MIN_SECRET_DISTINCT or DEV_SECRET in value


@lru_cache
def get_settings() -> Settings:
    return Settings()
