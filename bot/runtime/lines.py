"""Classification as JSON lines: what ``racewatch classify --json/--batch`` reads and writes.

An input line is a news item ``{"title", "summary"?, "url"?}`` or a hub record as the hub's
API returns it, wrapped: ``{"huggingface": {...}}`` or ``{"modelscope": {...}}``. Each line
gives exactly one output line; a line that cannot be read gives ``{"error": ...}`` naming
what was wrong, and the others go on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.attribution.classify import Classification, Classifier, Subject
from bot.sources import huggingface, modelscope

HF_ENDPOINT = "https://huggingface.co"
MS_ENDPOINT = "https://modelscope.cn"
MAX_TEXT = 20_000


class LineError(ValueError):
    """A line racewatch cannot classify; the message says why, for the user."""


def _text(raw: dict[str, Any], key: str, required: bool = False) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise LineError(
            f"'{key}' must be a non-empty string" if required else f"'{key}' must be a string"
        )
    return value[:MAX_TEXT]


def subject_of(raw: Any) -> Subject:
    """The subject an input object describes, or :class:`LineError`."""
    if not isinstance(raw, dict):
        raise LineError("a line must be a JSON object")
    for hub in ("huggingface", "modelscope"):
        if hub in raw:
            record = raw[hub]
            if not isinstance(record, dict):
                raise LineError(f"'{hub}' must be a model record (a JSON object)")
            now = datetime.now(UTC)
            if hub == "huggingface":
                item = huggingface.model_to_item(record, HF_ENDPOINT, now)
            else:
                owner = str(record.get("id") or "").split("/", 1)[0] or "unknown"
                item = modelscope.model_to_item(record, owner, MS_ENDPOINT, now)
            if item is None or item.hub is None:
                raise LineError(f"the {hub} record has no usable 'id' (owner/name)")
            return Subject(title=item.title, url=item.url, hub=item.hub, source_type=hub)
    url = raw.get("url")
    if url is not None and not isinstance(url, str):
        raise LineError("'url' must be a string")
    return Subject(title=_text(raw, "title", required=True), summary=_text(raw, "summary"), url=url)


def as_json(result: Classification, classifier: Classifier) -> dict[str, Any]:
    """A classification as plain JSON values (organisations by name, with their ids)."""
    registry = classifier.registry
    org = registry.get(result.primary_org)
    return {
        "primary_country": result.primary_country,
        "countries": list(result.countries),
        "primary_org": org.name if org else None,
        "primary_org_id": result.primary_org,
        "orgs": [registry.orgs[o].name for o in result.orgs if o in registry.orgs],
        "kind": result.kind,
        "modality": list(result.modalities),
        "open_weights": result.open_weights,
        "licence": result.licence,
        "params_b": round(result.params / 1e9, 3) if result.params else None,
        "derivative": result.derivative,
        "base_model": result.base_model,
        "uploader": result.uploader,
        "release": result.release,
        "confidence": result.confidence,
        "kind_confidence": result.kind_confidence,
        "reasons": list(result.reasons),
    }


def classify_line(line: str, classifier: Classifier) -> dict[str, Any]:
    """One input line -> one output object (an ``error`` object for a bad line)."""
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return {"error": f"not JSON: {str(exc)[:160]}"}
    try:
        subject = subject_of(raw)
    except LineError as exc:
        return {"error": str(exc)}
    return as_json(classifier.classify(subject), classifier)
