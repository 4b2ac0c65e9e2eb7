"""PostgreSQL repository of templates, their versions and reviews (``TemplateRepository``).

The same queries as SQLite's (``smsgate.store.sqlite.templates``): listings
fetch templates, versions and reviews in three statements, not one per
template. No advisory locks: two authors racing for the next version number
get ``DuplicateVersion`` from the primary key, and the four-eyes rule is the
trigger's, whoever writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg

from smsgate.core.audience import Audience
from smsgate.store.errors import NotFound
from smsgate.store.postgres.codec import dump_json, instant, load_json, optional_instant
from smsgate.store.postgres.session import Session
from smsgate.store.records import (
    Review,
    ReviewDecision,
    Template,
    TemplateDetail,
    TemplateVersion,
    VersionStatus,
)


class PostgresTemplates:
    """``TemplateRepository`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, template: Template) -> None:
        await self._session.execute(
            "INSERT INTO templates (id, creditor_id, name, audience, created_at, retired_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            template.id, template.creditor_id, template.name, template.audience,
            instant(template.created_at), optional_instant(template.retired_at),
        )  # fmt: skip

    async def get(self, creditor_id: str, template_id: str) -> Template | None:
        sql = "SELECT * FROM templates WHERE creditor_id = $1 AND id = $2"
        row = await self._session.row(sql, creditor_id, template_id)
        return None if row is None else _template(row)

    async def by_name(self, creditor_id: str, name: str) -> Template | None:
        sql = "SELECT * FROM templates WHERE creditor_id = $1 AND name = $2"
        row = await self._session.row(sql, creditor_id, name)
        return None if row is None else _template(row)

    async def retire(self, template_id: str, at: datetime) -> None:
        sql = "UPDATE templates SET retired_at = $1 WHERE id = $2"
        if not await self._session.execute(sql, instant(at), template_id):
            raise NotFound(f"no template {template_id!r}")

    async def add_version(self, version: TemplateVersion) -> None:
        await self._session.execute(
            "INSERT INTO template_versions (template_id, version, body, variables, status,"
            " author_key_id, created_at, lint, findings, wordlist_version)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            version.template_id, version.version, version.body, dump_json(version.variables),
            version.status, version.author_key_id, instant(version.created_at),
            dump_json(version.lint), dump_json(version.findings), version.wordlist_version,
        )  # fmt: skip

    async def versions(self, template_id: str) -> list[TemplateVersion]:
        sql = "SELECT * FROM template_versions WHERE template_id = $1 ORDER BY version"
        return [_version(row) for row in await self._session.rows(sql, template_id)]

    async def get_version(self, template_id: str, version: int) -> TemplateVersion | None:
        sql = "SELECT * FROM template_versions WHERE template_id = $1 AND version = $2"
        row = await self._session.row(sql, template_id, version)
        return None if row is None else _version(row)

    async def set_version_status(
        self, template_id: str, version: int, status: VersionStatus
    ) -> None:
        sql = "UPDATE template_versions SET status = $1 WHERE template_id = $2 AND version = $3"
        if not await self._session.execute(sql, status, template_id, version):
            raise NotFound(f"no version {version} of template {template_id!r}")

    async def latest_approved(self, creditor_id: str, template_id: str) -> TemplateVersion | None:
        row = await self._session.row(
            "SELECT v.* FROM template_versions AS v JOIN templates AS t ON t.id = v.template_id"
            " WHERE t.creditor_id = $1 AND t.id = $2 AND t.retired_at IS NULL"
            " AND v.status = 'approved' ORDER BY v.version DESC LIMIT 1",
            creditor_id,
            template_id,
        )
        return None if row is None else _version(row)

    async def add_review(self, review: Review) -> None:
        await self._session.execute(
            "INSERT INTO reviews (template_id, version, reviewer_key_id, decision, reason, at,"
            " wordlist_version) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            review.template_id, review.version, review.reviewer_key_id, review.decision,
            review.reason, instant(review.at), review.wordlist_version,
        )  # fmt: skip

    async def detail(self, creditor_id: str, template_id: str) -> TemplateDetail | None:
        sql = "SELECT * FROM templates WHERE creditor_id = $1 AND id = $2"
        details = await self._details(sql, creditor_id, template_id)
        return details[0] if details else None

    async def of_creditor(
        self, creditor_id: str, *, include_retired: bool = False
    ) -> list[TemplateDetail]:
        live_only = "" if include_retired else " AND retired_at IS NULL"
        sql = f"SELECT * FROM templates WHERE creditor_id = $1{live_only} ORDER BY name"
        return await self._details(sql, creditor_id)

    async def _details(self, sql: str, *params: Any) -> list[TemplateDetail]:
        templates = [_template(row) for row in await self._session.rows(sql, *params)]
        ids = [template.id for template in templates]
        versions: defaultdict[str, list[TemplateVersion]] = defaultdict(list)
        reviews: defaultdict[str, list[Review]] = defaultdict(list)
        version_sql = "SELECT * FROM template_versions WHERE template_id = ANY($1::text[])"
        for row in await self._session.rows(version_sql + " ORDER BY version", ids):
            versions[row["template_id"]].append(_version(row))
        review_sql = "SELECT * FROM reviews WHERE template_id = ANY($1::text[]) ORDER BY at, id"
        for row in await self._session.rows(review_sql, ids):
            reviews[row["template_id"]].append(_review(row))
        return [TemplateDetail(t, tuple(versions[t.id]), tuple(reviews[t.id])) for t in templates]


def _template(row: asyncpg.Record) -> Template:
    return Template(
        id=row["id"],
        creditor_id=row["creditor_id"],
        name=row["name"],
        audience=Audience(row["audience"]),
        created_at=row["created_at"],
        retired_at=row["retired_at"],
    )


def _version(row: asyncpg.Record) -> TemplateVersion:
    return TemplateVersion(
        template_id=row["template_id"],
        version=row["version"],
        body=row["body"],
        variables=load_json(row["variables"]),
        status=VersionStatus(row["status"]),
        author_key_id=row["author_key_id"],
        created_at=row["created_at"],
        wordlist_version=row["wordlist_version"],
        lint=load_json(row["lint"]),
        findings=load_json(row["findings"]),
    )


def _review(row: asyncpg.Record) -> Review:
    return Review(
        template_id=row["template_id"],
        version=row["version"],
        reviewer_key_id=row["reviewer_key_id"],
        decision=ReviewDecision(row["decision"]),
        reason=row["reason"],
        at=row["at"],
        wordlist_version=row["wordlist_version"],
    )
