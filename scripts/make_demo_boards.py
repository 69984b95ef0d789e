"""Writes the demo's leaderboard history (bot/demo/boards/*.csv), in the columns of LMArena's
leaderboard dataset (lmarena-ai/leaderboard-dataset, ``full`` split).

The history is illustrative: weekly boards shaped on the public standings of 2025 (entry
dates and scores rounded, small weekly drift added), so that the demo shows both sides, a
narrowing gap and lead changes. It is not LMArena's data. Run: python scripts/make_demo_boards.py
"""

from __future__ import annotations

import csv
import math
import random
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "bot" / "demo" / "boards"

# model, organisation, first board it appears on, score when it enters
TEXT = [
    ("gemini-exp-1206", "Google", "2025-01-06", 1373),
    ("gemini-2.0-flash-thinking-exp-01-21", "Google", "2025-01-27", 1382),
    ("grok-3-preview-02-24", "xAI", "2025-02-24", 1403),
    ("gpt-4.5-preview", "OpenAI", "2025-03-03", 1411),
    ("gemini-2.5-pro-exp-03-25", "Google", "2025-03-31", 1439),
    ("gemini-2.5-pro", "Google", "2025-06-09", 1460),
    ("claude-opus-4-1", "Anthropic", "2025-08-11", 1451),
    ("gpt-5-high", "OpenAI", "2025-08-11", 1455),
    ("deepseek-v3", "DeepSeek", "2025-01-06", 1318),
    ("deepseek-r1", "DeepSeek", "2025-01-27", 1358),
    ("qwen2.5-max", "Alibaba", "2025-02-03", 1336),
    ("deepseek-v3-0324", "DeepSeek", "2025-03-31", 1372),
    ("qwen3-235b-a22b", "Alibaba", "2025-05-05", 1375),
    ("deepseek-r1-0528", "DeepSeek", "2025-06-02", 1418),
    ("kimi-k2-0711-preview", "Moonshot", "2025-07-21", 1420),
    ("qwen3-235b-a22b-instruct-2507", "Alibaba", "2025-08-04", 1428),
    ("glm-4.5", "Zhipu", "2025-08-04", 1410),
    ("deepseek-v3.1", "DeepSeek", "2025-09-01", 1418),
    ("qwen3-max-preview", "Alibaba", "2025-09-15", 1434),
    ("mistral-medium-2505", "Mistral", "2025-05-12", 1390),
]
VIDEO = [
    ("veo2", "Google", "2025-04-07", 1120),
    ("sora", "OpenAI", "2025-04-07", 1060),
    ("veo3", "Google", "2025-05-26", 1185),
    ("sora-2-pro", "OpenAI", "2025-10-13", 1210),
    ("veo-3.1", "Google", "2025-10-20", 1225),
    ("hunyuan-video", "Tencent", "2025-04-07", 1040),
    ("kling-v2-master", "Kuaishou", "2025-04-21", 1140),
    ("hailuo-02", "MiniMax", "2025-06-16", 1160),
    ("seedance-v1-pro", "ByteDance", "2025-06-16", 1195),
    ("kling-2.1-master", "Kuaishou", "2025-06-30", 1170),
    ("wan2.2-a14b", "Alibaba", "2025-08-04", 1120),
    ("kling-2.5-turbo", "Kuaishou", "2025-09-29", 1205),
]
COLUMNS = [
    "model_name",
    "organization",
    "license",
    "rating",
    "rating_lower",
    "rating_upper",
    "vote_count",
    "rank",
    "category",
    "leaderboard_publish_date",
]


def boards(models: list[tuple[str, str, str, int]], first: date, last: date, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    day = first
    while day <= last:
        live = []
        for name, org, entered, score in models:
            start = date.fromisoformat(entered)
            if start > day:
                continue
            weeks = (day - start).days // 7
            drift = rng.uniform(-1.5, 1.5) - min(weeks, 20) * 0.15  # new models settle lower
            votes = 3000 + weeks * 2500
            half = round(1.96 * 180 / math.sqrt(votes) * 3, 1)
            rating = round(score + drift, 1)
            live.append([name, org, rating, half, votes])
        live.sort(key=lambda r: -r[2])
        for rank, (name, org, rating, half, votes) in enumerate(live, 1):
            rows.append(
                {
                    "model_name": name,
                    "organization": org,
                    "license": "Proprietary",
                    "rating": rating,
                    "rating_lower": round(rating - half, 1),
                    "rating_upper": round(rating + half, 1),
                    "vote_count": votes,
                    "rank": rank,
                    "category": "overall",
                    "leaderboard_publish_date": day.isoformat(),
                }
            )
        day += timedelta(days=7)
    return rows


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, models, first, seed in (
        ("text", TEXT, date(2025, 1, 6), 1),
        ("text_to_video", VIDEO, date(2025, 4, 7), 2),
    ):
        with (OUT / f"lmarena_{name}.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, COLUMNS)
            writer.writeheader()
            writer.writerows(boards(models, first, date(2025, 10, 27), seed))


if __name__ == "__main__":
    main()
