"""Read queries for chat commands: latest, full-text search, organisations' recent items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.orm import Session

from bot.store.schema import Classification, Item, Source
from bot.text import cjk_bigrams

_CJK_RUNS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
_WORD = re.compile(r"[\w.-]+", re.UNICODE)


@dataclass(frozen=True)
class Row:
    id: int
    title: str
    url: str | None
    published_at: datetime
    country: str | None
    org: str | None
    kind: str
    source: str


def _row(i: Item, c: Classification, source: str) -> Row:
    return Row(
        i.id, i.title, i.url, i.published_at, c.primary_country, c.primary_org, c.kind, source
    )


def _base() -> Select[Item, Classification, str]:
    return (
        select(Item, Classification, Source.name)
        .join(Classification, Classification.item_id == Item.id)
        .join(Source, Source.id == Item.source_id)
    )


def latest(
    session: Session,
    *,
    country: str | None = None,
    orgs: list[str] | None = None,
    kind: str | None = None,
    limit: int = 5,
    flagged_only: bool = True,
) -> list[Row]:
    """Most recent items, one per story, newest first (only attributed ones by default).

    Hub uploads that re-publish someone else's model (a community GGUF of Qwen3) are not
    releases: they never show here."""
    ids = _newest_ids(session, country, orgs, kind, limit * 4, flagged_only)
    if not ids:
        return []
    rows = {r[0].id: r for r in session.execute(_base().where(Item.id.in_(ids)))}
    seen: set[int] = set()
    out: list[Row] = []
    for item_id in ids:
        item, cls, source = rows[item_id]
        if item.story_id is not None:
            if item.story_id in seen:
                continue
            seen.add(item.story_id)
        out.append(_row(item, cls, source))
        if len(out) >= limit:
            break
    return out


_NEVER = datetime.min.replace(tzinfo=UTC)
# the index each filter walks, newest first (SQLite's planner is told; PostgreSQL's finds it)
_INDEX_OF = {
    "org": "ix_classifications_org_published",
    "country": "ix_classifications_country_published",
    "country kind": "ix_classifications_country_kind_published",
    "kind": "ix_classifications_kind_published",
}


def _newest_ids(
    session: Session,
    country: str | None,
    orgs: list[str] | None,
    kind: str | None,
    take: int,
    flagged_only: bool,
) -> list[int]:
    """The ids of the ``take`` newest items the filters match (by published date, then id,
    newest first), derivatives left out.

    Each filter walks its own index newest first and stops at ``take``: an organisation's
    (one walk per organisation of a family, merged), a country's, a kind's, or the pair's.
    Compared through coalesce(), a column cannot pick the index; with no filter, the
    items' published-date index is walked, joined to each classification."""
    c = Classification
    country_of = func.coalesce(c.primary_country, "")
    kind_of = func.coalesce(c.kind, "")
    if not (orgs or country or kind):
        query = (
            select(Item.id)
            .join(c, c.item_id == Item.id)
            .where(c.derivative_of.is_(None))
            .order_by(Item.published_at.desc(), Item.id.desc())
            .limit(take)
        )
        if flagged_only:
            query = query.where(country_of != "")
        return list(session.scalars(query))
    walks: list[tuple[str, Any]] = []
    if orgs:
        for org in dict.fromkeys(orgs):
            where = [c.primary_org == org]
            if country:
                where.append(country_of == country)
            elif flagged_only:
                where.append(country_of != "")
            if kind:
                where.append(kind_of == kind)
            walks.append(("org", where))
    elif country and kind:
        walks.append(("country kind", [c.primary_country == country, c.kind == kind]))
    elif country:
        walks.append(("country", [c.primary_country == country]))
    else:
        where = [c.kind == kind] + ([country_of != ""] if flagged_only else [])
        walks.append(("kind", where))
    found: list[tuple[datetime | None, int]] = []
    for index, where in walks:
        walk = (
            select(c.published_at, c.item_id)
            .where(*where, c.derivative_of.is_(None))
            .order_by(c.published_at.desc(), c.item_id.desc())
            .limit(take)
            .with_hint(c, f"INDEXED BY {_INDEX_OF[index]}", "sqlite")
        )
        found += [(at, item_id) for at, item_id in session.execute(walk)]
    if len(walks) > 1:  # every row has its published_at (migration 0013 and ingest)
        found.sort(key=lambda row: (row[0] or _NEVER, row[1]), reverse=True)
    return [item_id for _at, item_id in found[:take]]


def uploaders(session: Session, limit: int = 10_000) -> list[tuple[str, int, datetime]]:
    """Hub namespaces that published stored items: (namespace, items, latest), most first."""
    latest_at = func.max(Item.published_at)
    query = (
        select(Classification.uploader, func.count(), latest_at)
        .join(Item, Item.id == Classification.item_id)
        .where(Classification.uploader.is_not(None))
        .group_by(Classification.uploader)
        .order_by(func.count().desc(), Classification.uploader)
        .limit(limit)
    )
    return [(str(ns), int(n), at) for ns, n, at in session.execute(query)]


def fts_query(text_in: str) -> str:
    """User words as an FTS5 query: each word quoted (no operators from users), all required."""
    words = _WORD.findall(_CJK_RUNS.sub(" ", text_in))[:12]
    return " ".join('"' + w.replace('"', "") + '"' for w in words if w)


def cjk_fts_query(text_in: str) -> str:
    """Each CJK word of the query as a phrase of its character pairs (how they are indexed);
    a single character as a prefix of the pairs."""
    phrases = []
    for run in _CJK_RUNS.findall(text_in)[:12]:
        pairs = cjk_bigrams(run)
        phrases.append(f'"{run}"*' if len(run) == 1 else '"' + " ".join(pairs) + '"')
    return " ".join(phrases)


RANK_NEWEST = 2000  # search ranks this many of the newest matches


def search(session: Session, query_text: str, limit: int = 10) -> list[Row]:
    """Full-text search: the best matches among the newest ``RANK_NEWEST``, so it answers as
    fast at a million items as at a thousand. Word forms match ("export controls" finds
    "export control": FTS5's Porter stemmer on SQLite, the english configuration on
    PostgreSQL); Chinese, Japanese and Korean words match through their character pairs
    (``items.search_cjk``), every word of the query required."""
    latin = fts_query(query_text)
    cjk = cjk_fts_query(query_text)
    if not latin and not cjk:
        return []
    if session.get_bind().dialect.name == "sqlite":
        # the best of the newest matches: ranking them all grows with the store. A query
        # without CJK also reads the CJK index, where "智谱发布GLM-5" has glm as a word of
        # its own (the title's index keeps the run "智谱发布glm" whole)
        tables = ["items_cjk"] if cjk else ["items_fts", "items_cjk"]
        recent = " UNION ALL ".join(
            f"SELECT * FROM (SELECT rowid, rank FROM {t} WHERE {t} MATCH :q "
            "ORDER BY rowid DESC LIMIT :recent)"
            for t in tables
        )
        ranked = [
            r[0]
            for r in session.execute(
                text(
                    f"SELECT rowid FROM ({recent}) GROUP BY rowid "
                    "ORDER BY min(rank), rowid DESC LIMIT :n"
                ),
                {"q": f"{latin} {cjk}".strip(), "n": limit, "recent": RANK_NEWEST},
            )
        ]
        rows = {r[0].id: _row(*r) for r in session.execute(_base().where(Item.id.in_(ranked)))}
        return [rows[i] for i in ranked if i in rows]
    words = " ".join(_WORD.findall(_CJK_RUNS.sub(" ", query_text))[:12])
    if cjk:
        vector = func.to_tsvector("simple", func.coalesce(Item.search_cjk, ""))
        parts = [func.plainto_tsquery("simple", words)] if words else []
        for run in _CJK_RUNS.findall(query_text)[:12]:
            pairs = " ".join(cjk_bigrams(run))
            one = len(run) == 1
            parts.append(
                func.to_tsquery("simple", f"{run}:*")
                if one
                else func.phraseto_tsquery("simple", pairs)
            )
        tsquery: Any = parts[0]
        for part in parts[1:]:
            tsquery = tsquery.op("&&")(part)
    else:
        vector = func.to_tsvector(
            "english", func.coalesce(Item.title, "") + " " + func.coalesce(Item.summary, "")
        )
        tsquery = func.plainto_tsquery("english", words)
        # a Latin word inside CJK text ("智谱发布GLM-5") is a word only in search_cjk
        also = func.to_tsvector("simple", func.coalesce(Item.search_cjk, ""))
        also_query = func.plainto_tsquery("simple", words)
    newest = (
        select(Item.id)
        .where(
            vector.op("@@")(tsquery)
            if cjk
            else or_(vector.op("@@")(tsquery), also.op("@@")(also_query))
        )
        .order_by(Item.id.desc())
        .limit(RANK_NEWEST)
        .subquery()
    )
    query = (
        _base()
        .where(Item.id.in_(select(newest.c.id)))
        .order_by(func.ts_rank(vector, tsquery).desc(), Item.published_at.desc())
        .limit(limit)
    )
    return [_row(*r) for r in session.execute(query)]


def org_recent(session: Session, org_ids: list[str], limit: int = 5) -> list[Row]:
    return latest(session, orgs=org_ids, limit=limit, flagged_only=False)


def recent_classified(
    session: Session, since: datetime, limit: int = 5000
) -> list[tuple[Item, Classification, str]]:
    """Items fetched since ``since`` with their classification and source, newest first
    (what a rule dry run reads)."""
    rows = [
        (i, c, s)
        for i, c, s in session.execute(
            _base().where(Item.fetched_at >= since).order_by(Item.published_at.desc()).limit(limit)
        )
    ]
    session.expunge_all()  # read after the session ends
    return rows


def source_names(session: Session) -> list[str]:
    """Every source racewatch polls or has paused (files' and chat's), by name."""
    return list(session.scalars(select(Source.name).where(Source.status != "removed")))
