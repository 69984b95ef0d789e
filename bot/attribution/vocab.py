"""The closed vocabularies every stage shares: release kinds, modalities, open-weights values."""

from __future__ import annotations

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
