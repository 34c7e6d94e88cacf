"""The declarative base and the portable column types every model uses."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    SmallInteger,
    String,
    TypeDecorator,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement

from app.core.enums import Priority

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TAG_SEPARATOR = ","


def encode_tags(tags: list[str]) -> str:
    """Tags as stored: `,a,b,` (empty string when there are none)."""
    return f"{TAG_SEPARATOR}{TAG_SEPARATOR.join(tags)}{TAG_SEPARATOR}" if tags else ""


class casefold(FunctionElement[str]):
    """Text folded for case-insensitive comparison, as alike on both engines as they allow.

    SQLite's built-in lower() is ASCII-only, so SQLite connections register `casefold`
    (Python's str.casefold; see app/core/database.py): "ΟΔΟΣ" and "οδός"'s sigma, "STRASSE"
    and "Straße" fold alike. PostgreSQL 15 has no casefold(): there it is lower() in the
    database's default collation (`title` is collated "C" for stable ordering, where lower()
    is ASCII-only) with the two folds lower() leaves out that matter in practice, final
    sigma and sharp s; rarer ones (the micro sign, long s, ligatures) differ. Apply it
    to both sides of a comparison.
    """

    type = String()
    inherit_cache = True
    name = "casefold"


@compiles(casefold, "postgresql")
def _casefold_postgresql(element: casefold, compiler: Any, **kw: Any) -> str:
    lowered = f'lower(({compiler.process(element.clauses, **kw)}) COLLATE "default")'
    # final sigma -> sigma, sharp s -> ss
    return f"replace(replace({lowered}, '\u03c2', '\u03c3'), '\u00df', 'ss')"


@compiles(casefold)
def _casefold_default(element: casefold, compiler: Any, **kw: Any) -> str:
    return f"casefold({compiler.process(element.clauses, **kw)})"


# 64-bit ids on PostgreSQL; SQLite keeps INTEGER PRIMARY KEY, its 64-bit rowid alias.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; naive values are refused rather than guessed."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PriorityType(TypeDecorator[Priority]):
    """Stores a `Priority` as its rank, so ORDER BY and indexes follow the domain order."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: Priority | int | None, dialect: Dialect) -> int | None:
        """Priority → rank (ranks pass through, for keyset cursors)."""
        if value is None:
            return None
        return value if isinstance(value, int) else Priority(value).rank

    def process_result_value(self, value: int | None, dialect: Dialect) -> Priority | None:
        """Rank → Priority."""
        return None if value is None else Priority.from_rank(value)


class TagList(TypeDecorator[list[str]]):
    """Normalised tags as one delimited string: `,a,b,` (empty string when none).

    Surrounding separators make "has tag t" a portable `LIKE '%,t,%'`; the tag syntax
    (`[a-z0-9][a-z0-9_-]*`) can never contain the separator.
    """

    impl = String(700)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """List of tags → `,a,b,`."""
        if value is None:
            return None
        if isinstance(value, str):  # already encoded, e.g. a LIKE pattern
            return value
        return encode_tags(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[str]:
        """`,a,b,` → list of tags."""
        return [tag for tag in (value or "").split(TAG_SEPARATOR) if tag]
