"""Application settings, read once from the environment."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./tasks.db"


class Settings(BaseSettings):
    """Settings shared by the API and the CLI; each field maps to an environment variable."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL; SQLite by default, postgresql+asyncpg://… to scale out.",
    )
    host: str = Field(default="127.0.0.1", description="Address `app-cli serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `app-cli serve` binds to.")
    sqlite_busy_timeout_ms: int = Field(
        default=5_000, ge=0, description="How long a SQLite writer waits for the lock before 503."
    )
    max_body_bytes: int = Field(
        # 1,000 tasks at every limit (200-char title, 5,000-char description, 20 tags) are
        # up to 22 MB as UTF-8, 32 MB in `json.dumps`'s default \uXXXX escapes (63 MB only
        # if every character is an emoji written as two escapes).
        default=40 * 1024 * 1024,
        ge=1024,
        description="Largest request body; fits a bulk of 1,000 tasks at every length limit.",
    )
    db_pool_size: int = Field(
        default=10,
        ge=1,
        description="Connection pool size: PostgreSQL, or SQLite readers (its writer has one).",
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache to override)."""
    return Settings()
