"""The closed vocabularies every stage shares: release kinds, modalities, open-weights values."""

from __future__ import annotations

import re

KINDS: dict[str, str] = {
    "model_release": "model release",
    "product_launch": "product or app launch",
    "open_source": "open-source release",
    "benchmark": "benchmark or leaderboard result",
    "research": "research paper",
    "policy": "policy, export controls or chips",
    "business": "funding or business",
    "other": "other",
}

MODALITIES: dict[str, str] = {
    "text": "text",
    "code": "code",
    "vision": "vision",
    "image_gen": "image generation",
    "video_gen": "video generation",
    "audio": "speech and audio",
    "multimodal": "multimodal",
    "robotics": "robotics",
    "agents": "agents",
}

OPEN_WEIGHTS = ("yes", "no", "unknown")

# How a hub repository derives from its base model.
DERIVATIVES = ("quantized", "adapter", "merge", "finetune", "reupload")

FLAGS: dict[str, str] = {
    "CN": "🇨🇳",
    "US": "🇺🇸",
    "FR": "🇫🇷",
    "GB": "🇬🇧",
    "JP": "🇯🇵",
    "KR": "🇰🇷",
    "AE": "🇦🇪",
    "CA": "🇨🇦",
    "IL": "🇮🇱",
    "DE": "🇩🇪",
    "TW": "🇹🇼",
    "NL": "🇳🇱",
    "IN": "🇮🇳",
    "SG": "🇸🇬",
    "CH": "🇨🇭",
    "SA": "🇸🇦",
    "HK": "🇭🇰",
    "FI": "🇫🇮",
    "SE": "🇸🇪",
    "AU": "🇦🇺",
}


def flag(country: str | None) -> str:
    """The flag emoji for an ISO 3166 alpha-2 code, or a globe when unknown."""
    if not country:
        return "🌐"
    if country in FLAGS:
        return FLAGS[country]
    if len(country) == 2 and country.isalpha():
        return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country.upper())
    return "🌐"


# Licences by SPDX id (and the Hugging Face ids for model licences SPDX does not list)
LICENCES: dict[str, str] = {
    "apache-2.0": "Apache 2.0",
    "mit": "MIT",
    "bsd-2-clause": "BSD 2-Clause",
    "bsd-3-clause": "BSD 3-Clause",
    "gpl-2.0": "GPL 2.0",
    "gpl-3.0": "GPL 3.0",
    "lgpl-3.0": "LGPL 3.0",
    "agpl-3.0": "AGPL 3.0",
    "mpl-2.0": "Mozilla Public License 2.0",
    "cc0-1.0": "CC0 1.0",
    "cc-by-4.0": "CC BY 4.0",
    "cc-by-sa-4.0": "CC BY-SA 4.0",
    "cc-by-nc-4.0": "CC BY-NC 4.0",
    "cc-by-nc-sa-4.0": "CC BY-NC-SA 4.0",
    "cc-by-nc-nd-4.0": "CC BY-NC-ND 4.0",
    "openrail": "OpenRAIL",
    "openrail++": "OpenRAIL++",
    "creativeml-openrail-m": "CreativeML OpenRAIL-M",
    "bigscience-openrail-m": "BigScience OpenRAIL-M",
    "llama2": "Llama 2 Community License",
    "llama3": "Llama 3 Community License",
    "llama3.1": "Llama 3.1 Community License",
    "llama3.2": "Llama 3.2 Community License",
    "llama3.3": "Llama 3.3 Community License",
    "llama4": "Llama 4 Community License",
    "gemma": "Gemma Terms of Use",
    "deepseek": "DeepSeek License",
    "qwen": "Qwen (Tongyi Qianwen) License",
    "apple-amlr": "Apple Machine Learning Research License",
    "other": "another licence (a custom or modified one)",
    "unknown": "licence not stated",
}
_LICENCE_WORDS = re.compile(r"\b(licen[cs]e|terms( of use)?|agreement|community)\b")
_LICENCE_ALIASES = {
    "apache": "apache-2.0",
    "apache-2": "apache-2.0",
    "apache2": "apache-2.0",
    "apache2.0": "apache-2.0",
    "apache-v2": "apache-2.0",
    "apache-license-2.0": "apache-2.0",
    "mit-license": "mit",
    "cc-by-nc": "cc-by-nc-4.0",
    "cc-by": "cc-by-4.0",
    "openrail-m": "openrail",
    "tongyi-qianwen": "qwen",
    "gemma-terms": "gemma",
    "modified-mit": "other",
}


def licence_id(text: str | None) -> str | None:
    """The SPDX-style id of a licence however it is written ("Apache 2.0", "apache-2.0",
    "Llama 3.1 Community License"), or None when ``text`` is no licence racewatch knows."""
    if not text or not text.strip():
        return None
    words = _LICENCE_WORDS.sub(" ", text.strip().lower().replace("_", " "))
    slug = re.sub(r"[\s-]+", "-", words.strip(" -"))
    slug = re.sub(r"^llama-(\d(?:\.\d)?)$", r"llama\1", slug)
    slug = _LICENCE_ALIASES.get(slug, slug)
    return slug if slug in LICENCES else None


def stored_licence(text: str | None) -> str | None:
    """What the store keeps: the id, ``other`` for a licence named but not known, or None."""
    if not text or not text.strip():
        return None
    return licence_id(text) or "other"
