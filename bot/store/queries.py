"""Read queries for chat commands: latest, full-text search, organisations' recent items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, text
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
    # Country and kind are compared through coalesce() so that no index on them is used:
    # walking the published-date index newest first stops at the limit, where starting
    # from the country index would sort every item of that country (organisations are
    # rare enough that their index is the better start).
    query = _base().order_by(Item.published_at.desc(), Item.id.desc())
    query = query.where(Classification.derivative_of.is_(None))
    country_of = func.coalesce(Classification.primary_country, "")
    if country:
        query = query.where(country_of == country)
    elif flagged_only:
        query = query.where(country_of != "")
    if orgs:
        query = query.where(Classification.primary_org.in_(orgs))
    if kind:
        query = query.where(func.coalesce(Classification.kind, "") == kind)
    if (country or kind) and not orgs:
        rare = _rare_items(session, country, kind)
        if rare is not None:  # few match: start from them, not from the newest item
            if not rare:
                return []
            query = query.where(Item.id.in_(rare))
    seen: set[int] = set()
    out: list[Row] = []
    for item, cls, source in session.execute(query.limit(limit * 4)):
        if item.story_id is not None:
            if item.story_id in seen:
                continue
            seen.add(item.story_id)
        out.append(_row(item, cls, source))
        if len(out) >= limit:
            break
    return out


RARE = 2_000  # a filter matching fewer items than this reads them from its own index


def _rare_items(session: Session, country: str | None, kind: str | None) -> list[int] | None:
    """The ids of the items a country / kind filter matches, when there are fewer than
    ``RARE`` of them (read from the classification indexes alone); ``None`` when the
    filter is common, and walking the newest items first stops sooner."""
    c = Classification
    query = select(c.item_id)
    if country:
        query = query.where(c.primary_country == country)
    if kind:
        query = query.where(c.kind == kind)
    ids = list(session.scalars(query.limit(RARE)))
    return ids if len(ids) < RARE else None


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
        table = "items_cjk" if cjk else "items_fts"
        ranked = [
            r[0]
            for r in session.execute(
                text(  # the best of the newest matches: ranking them all grows with the store
                    f"SELECT rowid FROM (SELECT rowid, rank FROM {table} "
                    f"WHERE {table} MATCH :q ORDER BY rowid DESC LIMIT :recent) "
                    "ORDER BY rank LIMIT :n"
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
    newest = (
        select(Item.id)
        .where(vector.op("@@")(tsquery))
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
