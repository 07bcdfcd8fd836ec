"""Settings: every knob is a SHEBAO_* environment variable with a sane default."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A development secret: good enough for the demo province on a laptop, refused in production.
DEV_SECRET = "shebao-development-secret-do-not-use-in-production"


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
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    max_request_bytes: int = 1_048_576
    log_level: str = "INFO"
    log_json: bool = True
    # Private card keys live encrypted on disk here, never in the database (root, ministry, provinces).
    key_dir: str = "./var/keys"
    key_passphrase: str = DEV_SECRET
    demo_province: str = "110000"
    demo_persons: int = 10_000

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        if value not in {"development", "test", "production"}:
            raise ValueError("environment must be development, test or production")
        return value

    def check_production_safety(self) -> None:
        """Refuse to run production with the development secret."""
        if self.environment == "production" and DEV_SECRET in (self.secret_key, self.key_passphrase):
            raise RuntimeError("SHEBAO_SECRET_KEY and SHEBAO_KEY_PASSPHRASE must be set in production")

    def secret_fingerprint(self) -> str:
        digest = hashlib.sha256(self.secret_key.encode()).digest()[:6]
        return base64.b32encode(digest).decode().rstrip("=")


@lru_cache
def get_settings() -> Settings:
    return Settings()
