"""The repository of templates, their versions and reviews (``TemplateRepository``).

A template's text lives only in its versions; a new version of an approved
template is a new row, reviewed again, while ``latest_approved`` keeps
returning the old one until the new one is approved. Listings fetch
templates, versions and reviews in three queries rather than one per template.
No locks: two authors racing for the next version number get
``DuplicateVersion`` from the primary key, and the four-eyes rule is the
database trigger's, whoever writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from smsgate.core.audience import Audience
from smsgate.store.errors import NotFound
from smsgate.store.records import (
    Review,
    ReviewDecision,
    Template,
    TemplateDetail,
    TemplateVersion,
    VersionStatus,
)
from smsgate.store.sql.dialect import Dialect, Params, Row, Session


class SqlTemplates:
    """``TemplateRepository`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, template: Template) -> None:
        await self._session.execute(
            "INSERT INTO templates (id, creditor_id, name, audience, created_at, retired_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                template.id, template.creditor_id, template.name, template.audience,
                self._dialect.instant(template.created_at),
                self._dialect.optional_instant(template.retired_at),
            ),
        )  # fmt: skip

    async def get(self, creditor_id: str, template_id: str) -> Template | None:
        sql = "SELECT * FROM templates WHERE creditor_id = ? AND id = ?"
        row = await self._session.row(sql, (creditor_id, template_id))
        return None if row is None else _template(row, self._dialect)

    async def by_name(self, creditor_id: str, name: str) -> Template | None:
        sql = "SELECT * FROM templates WHERE creditor_id = ? AND name = ?"
        row = await self._session.row(sql, (creditor_id, name))
        return None if row is None else _template(row, self._dialect)

    async def retire(self, template_id: str, at: datetime) -> None:
        sql = "UPDATE templates SET retired_at = ? WHERE id = ?"
        if not await self._session.execute(sql, (self._dialect.instant(at), template_id)):
            raise NotFound(f"no template {template_id!r}")

    async def add_version(self, version: TemplateVersion) -> None:
        d = self._dialect
        await self._session.execute(
            "INSERT INTO template_versions (template_id, version, body, variables, status,"
            " author_key_id, created_at, lint, findings, wordlist_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                version.template_id, version.version, version.body, d.json(version.variables),
                version.status, version.author_key_id, d.instant(version.created_at),
                d.json(version.lint), d.json(version.findings), version.wordlist_version,
            ),
        )  # fmt: skip

    async def versions(self, template_id: str) -> list[TemplateVersion]:
        sql = "SELECT * FROM template_versions WHERE template_id = ? ORDER BY version"
        rows = await self._session.rows(sql, (template_id,))
        return [_version(row, self._dialect) for row in rows]

    async def get_version(self, template_id: str, version: int) -> TemplateVersion | None:
        sql = "SELECT * FROM template_versions WHERE template_id = ? AND version = ?"
        row = await self._session.row(sql, (template_id, version))
        return None if row is None else _version(row, self._dialect)

    async def set_version_status(
        self, template_id: str, version: int, status: VersionStatus
    ) -> None:
        sql = "UPDATE template_versions SET status = ? WHERE template_id = ? AND version = ?"
        if not await self._session.execute(sql, (status, template_id, version)):
            raise NotFound(f"no version {version} of template {template_id!r}")

    async def latest_approved(self, creditor_id: str, template_id: str) -> TemplateVersion | None:
        row = await self._session.row(
            "SELECT v.* FROM template_versions AS v JOIN templates AS t ON t.id = v.template_id"
            " WHERE t.creditor_id = ? AND t.id = ? AND t.retired_at IS NULL"
            " AND v.status = 'approved' ORDER BY v.version DESC LIMIT 1",
            (creditor_id, template_id),
        )
        return None if row is None else _version(row, self._dialect)

    async def add_review(self, review: Review) -> None:
        await self._session.execute(
            "INSERT INTO reviews (template_id, version, reviewer_key_id, decision, reason, at,"
            " wordlist_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                review.template_id, review.version, review.reviewer_key_id, review.decision,
                review.reason, self._dialect.instant(review.at), review.wordlist_version,
            ),
        )  # fmt: skip

    async def detail(self, creditor_id: str, template_id: str) -> TemplateDetail | None:
        sql = "SELECT * FROM templates WHERE creditor_id = ? AND id = ?"
        details = await self._details(sql, (creditor_id, template_id))
        return details[0] if details else None

    async def of_creditor(
        self, creditor_id: str, *, include_retired: bool = False
    ) -> list[TemplateDetail]:
        live_only = "" if include_retired else " AND retired_at IS NULL"
        sql = f"SELECT * FROM templates WHERE creditor_id = ?{live_only} ORDER BY name"
        return await self._details(sql, (creditor_id,))

    async def _details(self, sql: str, params: Params) -> list[TemplateDetail]:
        d = self._dialect
        templates = [_template(row, d) for row in await self._session.rows(sql, params)]
        among, ids = d.any_of("template_id", [template.id for template in templates])
        versions: defaultdict[str, list[TemplateVersion]] = defaultdict(list)
        reviews: defaultdict[str, list[Review]] = defaultdict(list)
        version_sql = f"SELECT * FROM template_versions WHERE {among} ORDER BY version"
        for row in await self._session.rows(version_sql, ids):
            versions[row["template_id"]].append(_version(row, d))
        review_sql = f"SELECT * FROM reviews WHERE {among} ORDER BY at, id"
        for row in await self._session.rows(review_sql, ids):
            reviews[row["template_id"]].append(_review(row, d))
        return [TemplateDetail(t, tuple(versions[t.id]), tuple(reviews[t.id])) for t in templates]


def _template(row: Row, dialect: Dialect) -> Template:
    return Template(
        id=row["id"],
        creditor_id=row["creditor_id"],
        name=row["name"],
        audience=Audience(row["audience"]),
        created_at=dialect.read_instant(row["created_at"]),
        retired_at=dialect.read_optional_instant(row["retired_at"]),
    )


def _version(row: Row, dialect: Dialect) -> TemplateVersion:
    return TemplateVersion(
        template_id=row["template_id"],
        version=row["version"],
        body=row["body"],
        variables=dialect.read_json(row["variables"]),
        status=VersionStatus(row["status"]),
        author_key_id=row["author_key_id"],
        created_at=dialect.read_instant(row["created_at"]),
        wordlist_version=row["wordlist_version"],
        lint=dialect.read_json(row["lint"]),
        findings=dialect.read_json(row["findings"]),
    )


def _review(row: Row, dialect: Dialect) -> Review:
    return Review(
        template_id=row["template_id"],
        version=row["version"],
        reviewer_key_id=row["reviewer_key_id"],
        decision=ReviewDecision(row["decision"]),
        reason=row["reason"],
        at=dialect.read_instant(row["at"]),
        wordlist_version=row["wordlist_version"],
    )
