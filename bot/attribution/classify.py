"""Attribution: which organisations an item is about, their countries, and why we think so."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.attribution.hub import HubJudge, HubVerdict
from bot.attribution.kinds import KindResult, classify_kind
from bot.attribution.matcher import Context, Matcher, Mention
from bot.attribution.registry import Org, Registry
from bot.attribution.vocab import stored_licence
from bot.items import HubFacts

W_HUB, W_GITHUB, W_DOMAIN, W_TITLE, W_SUBJECT, W_SUMMARY = 10.0, 8.0, 4.0, 3.0, 2.0, 1.0
W_REPEAT = 0.5  # a second mention of the same organisation in one field adds little
W_WEAK_TITLE = 2.0  # "China", "US": enough to be involved, not to outweigh a named subject
W_INVOLVED = 1.0  # a hub upload's uploader or base: named among the orgs, not a country
_stored_licence = lru_cache(maxsize=1024)(stored_licence)  # few licences, written the same way


@dataclass(frozen=True)
class Subject:
    """What classification looks at: an item's text, links and facts, and its source."""

    title: str
    summary: str = ""
    url: str | None = None
    source_url: str | None = None
    source_type: str = "feed"
    hub: HubFacts | None = None
    github_repo: str | None = None


@dataclass(frozen=True)
class Classification:
    primary_country: str | None
    countries: tuple[str, ...]
    primary_org: str | None
    orgs: tuple[str, ...]
    kind: str
    modalities: tuple[str, ...]
    open_weights: str
    licence: str | None
    params: float | None
    confidence: float
    reasons: tuple[str, ...]
    derivative_of: str | None = None  # set only when the item re-publishes another's model
    derivative: str | None = None  # quantized | adapter | merge | finetune | reupload
    base_model: str | None = None
    uploader: str | None = None  # the hub namespace that published it
    kind_confidence: float = 0.5  # how sure the kind is (``confidence`` is the country's)

    @property
    def release(self) -> bool:
        """False for a derivative that only re-publishes someone else's model."""
        return self.derivative_of is None


class _Tally:
    """The evidence gathered for one item: scores per organisation and the reasons."""

    __slots__ = (
        "actors",
        "compared",
        "counted",
        "in_title",
        "reasons",
        "scores",
        "strongest",
        "subject",
        "targets",
        "wordlike",
    )

    def __init__(self) -> None:
        self.scores: dict[str, float] = defaultdict(float)
        self.reasons: list[str] = []
        self.strongest = 0.0
        self.subject: str | None = None  # the organisation a headline starts with
        self.in_title: set[str] = set()
        self.wordlike: set[str] = set()  # found only by a name that is a word
        self.targets: set[str] = set()  # countries named as what a rule targets
        self.actors: set[str] = set()  # countries named as making a rule
        self.compared: set[str] = set()  # families named as a comparison ("a rival to X")
        self.counted: set[str] = set()  # families named otherwise

    def add(self, org_id: str, weight: float, reason: str | None) -> None:
        self.scores[org_id] += weight
        if weight > self.strongest:
            self.strongest = weight
        if reason and reason not in self.reasons:
            self.reasons.append(reason)


_VERSION_AFTER = re.compile(r"[-\u2010\u2011 ]?(?:[vVkKmM]?\d|[A-Z]\d)")
# an organisation's name used as its model's ("DeepSeek-V2", "MiniMax-M1"): a lettered
# version or a hyphen, never "Baidu 2025" or "Alibaba 3 billion"
_ALIAS_VERSION = re.compile(r"(?:[-\u2010\u2011]|[ ]?(?=[VvRrMmKk]\d))(?:[VvRrMmKk]?\d)(?![\d,])")


# "rival to X", "answer to X", "challenges X", "joins the X race", "X-like", "X killer"
_FOIL_BEFORE = re.compile(
    r"(?i:\b(rivals|rivall?ing|rival to|answer to|challeng(er|ers|es|ing)( to)?|"
    r"alternative to|takes? on|"
    r"vs\.?|versus|than|like|à la|joins? the|beat(s|ing)?|overtak(es|ing)|surpass(es|ing)?|"
    r"compet(es|ing|itor) (with|to)|outperform(s|ing)?|former|ehemalige[nr]?|"
    r"anciens? (chercheurs? |salariés? |employés? )?(de|chez))\s+(\w+'s\s+)?(?=\S)"
    r"|\b(?i:ex-|anciens? (chercheurs? |salariés? |employés? )?d['’])(?=[A-Z])"
    r"|(对标|比肩|超越|反超|挑战|媲美|叫板|追赶|匹敌|(?<=[\u4e00-\u9fff])版))"
)
_FOIL_AFTER = re.compile(
    r"(?i:(-like|-style|-level| killer| rivals?\b| clone| competitor| race\b| moment\b|"
    r"['’]s (competitors|rivals|challengers)\b|"
    r"式|级|杀手|平替))"
)


_FOIL_WORDS = (
    *[
        "rival",
        "answer",
        "challeng",
        "alternative",
        "take",
        "vs",
        "versus",
        "than",
        "like",
        "à la",
        "join",
        "beat",
        "overtak",
        "former",
        "ex-",
        "ancien",
        "ehemalig",
    ],
    *["surpass", "compet", "outperform", "-style", "-level", "killer", "clone", "race", "moment"],
    *[
        "对标",
        "比肩",
        "超越",
        "反超",
        "挑战",
        "媲美",
        "叫板",
        "追赶",
        "匹敌",
        "式",
        "级",
        "杀手",
        "平替",
        "版",
    ],
)


_FOIL_HINT = re.compile("|".join(map(re.escape, _FOIL_WORDS)), re.IGNORECASE)


def foils(title: str) -> tuple[set[int], set[int]]:
    """Where a foil may start (after "rival to") and end (before "-like") in a headline:
    a name there is named as a comparison, not as who did something. One pass each."""
    if _FOIL_HINT.search(title) is None:  # most texts: one scan, no foil regex at all
        return set(), set()
    return (
        {m.end() for m in _FOIL_BEFORE.finditer(title)},
        {m.start() for m in _FOIL_AFTER.finditer(title)},
    )


# "sales to China", "curbs on Chinese chips", "对华出口": the country a rule targets
_TARGET_BEFORE = re.compile(
    r"(?i:\b(to|in|into|from|against|on|for|towards?|over|at|of|with|targeting|targets)\s+(the\s+)?$)"
    r"|(对|向|针对|对于|に対し|に|への|에 대한|에)\s*$"
)
_ACTS_AFTER = re.compile(
    r"(?i:^(\s*'s|’s)?\s+(government\s+|commerce\s+|new\s+|ai\s+|chip\s+)*"
    r"(export|sanction|ban|rule|regulat|curb|tariff|restrict|law|bill|order|agenc|ministr|"
    r"department|lawmaker|officials?|authorit|administration|probe|investigat|action plan|"
    r"blacklist))"
    r"|^(政府|当局|监管|商务部|出台|发布|宣布|禁止|限制|制裁|加征|对华)"
)
_OWNS = re.compile(r"^(?:'s|’s|-based|\s+based|の|的)?\s*$")


# "rivals to OpenAI and Google", "anciens de Meta et Google": a list goes on comparing
_LIST_JOIN = re.compile(r"^\s*(,|and|or|et|ou|und|oder|y|o|&|/|、|和|与|與|及|或|・|·)\s*$")

_QUOTES = {"\u201c": "\u201d", '"': '"', "\u300c": "\u300d", "\u300e": "\u300f", "\u2018": "\u2019"}


def _opening_quote_end(title: str) -> int:
    """Where a quotation that opens a headline closes (0: the headline opens with none)."""
    title_start = title.lstrip()
    close = _QUOTES.get(title_start[:1])
    if close is None:
        return 0
    offset = len(title) - len(title_start)
    end = title.find(close, offset + 1)
    return end + 1 if end > 0 else 0


def _owns_next(text: str, m: Mention, following: list[Mention]) -> bool:
    """ "China's Moonshot AI", "Hangzhou-based DeepSeek": a country or place right before
    an organisation says where the organisation is from."""
    return bool(following) and _OWNS.match(text[m.end : following[0].start]) is not None


def _host(url: str) -> str:
    """The host of an http(s) URL, cheaply (no full parse on the hot path)."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("@")[-1].split(":")[0].lower()


def versioned_model(title: str, mentions: list[Mention]) -> str | None:
    """The first product name written with a version ("Qwen3", "Claude Opus 4.1", "Kimi K2")."""
    for m in mentions:
        if m.role != "product":
            named = _ALIAS_VERSION.match(title, m.end)
            if named is not None:
                return title[m.start : named.end()]
            continue
        if any(ch.isdigit() for ch in m.term) or _VERSION_AFTER.match(title, m.end):
            tail = _VERSION_AFTER.match(title, m.end)
            return title[m.start : tail.end() if tail else m.end]
    return None


# the first path segments of huggingface.co that are not a namespace
_HF_RESERVED = frozenset(
    [
        "datasets",
        "spaces",
        "papers",
        "blog",
        "docs",
        "models",
        "collections",
        "organizations",
        "posts",
        "learn",
        "tasks",
        "join",
        "login",
        "pricing",
        "settings",
        "new",
        "api",
        "chat",
        "enterprise",
    ]
)
_HF_MODEL_PAGE = re.compile(r"^https?://(?:www\.)?huggingface\.co/([\w.-]+)/([\w.-]+)/?(?:[?#]|$)")


def hub_page(title: str, url: str) -> HubFacts | None:
    """A feed item whose address is a Hugging Face model page and whose headline is that
    repository's id ("unsloth/Kimi-K2-Thinking-GGUF"): what the hub would say of it."""
    m = _HF_MODEL_PAGE.match(url)
    if m is None or m.group(1).lower() in _HF_RESERVED:
        return None
    repo_id = f"{m.group(1)}/{m.group(2)}"
    if repo_id.lower() not in title.lower():
        return None
    return HubFacts(hub="huggingface", repo_id=repo_id, namespace=m.group(1))


class Classifier:
    """Pure: the same subject always gives the same classification."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.matcher = Matcher(registry)
        self.hubs = HubJudge(registry, self.matcher)
        self._root_ids = {o.id: registry.root(o).id for o in registry.orgs.values()}
        self._labels = {  # "Alibaba (CN)" for every org, prepared once
            o.id: f"{registry.root(o).name} ({registry.root(o).country})"
            for o in registry.orgs.values()
        }

    def _label(self, org: Org) -> str:
        return self._labels[org.id]

    def _hub(self, hub: HubFacts, tally: _Tally) -> HubVerdict:
        verdict = self.hubs.judge(hub)
        for reason in verdict.reasons:
            tally.reasons.append(reason)
        if verdict.primary is not None:
            tally.add(verdict.primary.id, W_HUB, None)
        for involved in (verdict.uploader, verdict.base_org):
            if involved is not None and involved is not verdict.primary:
                tally.add(involved.id, W_INVOLVED, None)
        return verdict

    def _mentions(
        self, text: str, weight: float, in_title: bool, tally: _Tally, where: str, context: Context
    ) -> list[Mention]:
        seen: set[str] = set()
        mentions = self.matcher.find(text, context=context)
        subject_open = in_title
        # "a rival to ChatGPT", "challengers to Nvidia", "Sora-like": in a headline or a lead
        starts, ends = foils(text) if mentions else (set(), set())
        # '"We will catch Google and MS": Naver invests...': names in an opening quotation are
        # what someone said, when someone else is named after it
        quoted = _opening_quote_end(text) if in_title and len(mentions) > 1 else 0
        if quoted and mentions[-1].start < quoted:
            quoted = 0
        for i, m in enumerate(mentions):
            if (
                starts
                and i
                and mentions[i - 1].end in starts
                and _LIST_JOIN.match(text[mentions[i - 1].end : m.start])
            ):
                starts.add(m.start)
            org = self.registry.orgs[m.org_id]
            # "Alibaba's Qwen", "DeepSeek ... DeepSeek-R1": one family named again adds little
            # (a founder or a country named first does not claim the family: "马斯克xAI")
            family = m.org_id if org.weak else self._root_ids[m.org_id]
            if family in seen:
                tally.add(m.org_id, W_REPEAT * (weight / W_TITLE), None)
                continue
            seen.add(family)
            if in_title:
                tally.in_title.add(m.org_id)
            if m.ambiguous:
                tally.wordlike.add(m.org_id)
            if m.start in starts or m.end in ends:  # "a rival to ChatGPT", "Sora-like"
                starts.add(m.end)  # ...and the names listed with it
                tally.add(m.org_id, W_REPEAT, f"{where} names '{m.term}' as a comparison")
                tally.compared.add(self._root_ids[m.org_id])
                continue
            tally.counted.add(self._root_ids[m.org_id])
            if m.end <= quoted:
                tally.add(m.org_id, W_REPEAT, f"{where} quotes '{m.term}'")
                continue
            if org.weak and _TARGET_BEFORE.search(text[max(0, m.start - 14) : m.start]):
                tally.targets.add(m.org_id)
            elif org.weak and _ACTS_AFTER.match(text[m.end : m.end + 30]):
                tally.actors.add(m.org_id)  # "US export controls", "China's regulators"
            if subject_open and org.weak and _owns_next(text, m, mentions[i + 1 : i + 2]):
                # "China's Moonshot AI", "Hangzhou-based DeepSeek": the org is the subject
                tally.add(m.org_id, W_REPEAT, f"{where} names '{m.term}' ({org.country})")
                continue
            if subject_open:
                subject_open = False
                tally.subject = m.org_id
                tally.add(
                    m.org_id,
                    weight + W_SUBJECT,
                    f"headline subject: '{m.term}' -> {self._label(org)}",
                )
            elif org.weak:
                tally.add(
                    m.org_id,
                    W_WEAK_TITLE if in_title else W_REPEAT,
                    f"{where} names '{m.term}' ({org.country})",
                )
            else:
                tally.add(m.org_id, weight, f"{where} mentions '{m.term}' -> {self._label(org)}")
        return mentions

    def classify(self, subject: Subject) -> Classification:
        if subject.hub is None and subject.url and "huggingface.co/" in subject.url:
            hub = hub_page(subject.title, subject.url)
            if hub is not None:  # a feed item that is a model's page: judged as an upload
                subject = replace(subject, hub=hub)
        tally = _Tally()
        notes: list[str] = []
        verdict = self._hub(subject.hub, tally) if subject.hub else None
        if subject.github_repo:
            owner = subject.github_repo.split("/", 1)[0]
            org = self.registry.by_github(owner)
            if org is not None:
                tally.add(org.id, W_GITHUB, f"GitHub owner {owner} -> {self._label(org)}")
        for url in dict.fromkeys(u for u in (subject.url, subject.source_url) if u):
            host = _host(url)
            org = self.registry.by_domain(host)
            # a platform's domain (huggingface.co, github.com...) says where, not who
            if org is not None and org.type != "platform":
                tally.add(org.id, W_DOMAIN, f"published on {host} -> {self._label(org)}")
                break
        versioned = None
        context = Context(f"{subject.title}\n{subject.summary[:1500]}")
        if subject.hub is None:  # a hub item's title is ours, and its repo name may name its base
            title_mentions = self._mentions(
                subject.title, W_TITLE, True, tally, "headline", context
            )
            versioned = versioned_model(subject.title, title_mentions)
        self._mentions(subject.summary[:1500], W_SUMMARY, False, tally, "summary", context)
        kinds = classify_kind(
            subject.title, subject.summary, subject.hub, subject.source_type, versioned, subject.url
        )
        return self._decide(subject, tally, notes, kinds, verdict, context)

    def _confidence(
        self,
        strong: dict[str, float],
        best: str,
        tally: _Tally,
        weak_only: bool,
        root_of: dict[str, str],
    ) -> float:
        """How sure the country is: strong, unshared evidence is sure; a name that is also a
        word, a close rival from another country, or only weak evidence is not."""
        orgs = self.registry.orgs
        top = strong[best]
        country = orgs[best].country
        rival = 0.0
        for r, s in strong.items():
            if s > rival and orgs[r].country != country:
                rival = s
        confidence = 0.4 + 0.3 * min(1.0, top / 8) + 0.2 * (top / (top + rival))
        if tally.strongest >= W_DOMAIN:
            confidence += 0.1
        if rival >= 0.6 * top:
            confidence -= 0.15
        by_word = [o for o, root in root_of.items() if root == best]
        if by_word and tally.wordlike and tally.wordlike.issuperset(by_word):
            confidence -= 0.2  # "Mistral", "Phi": right only if the AI context was
        if by_word and all(orgs[o].type == "people" for o in by_word):
            confidence -= 0.2  # named only by its founder or chief executive
        if weak_only or orgs[best].weak:
            confidence -= 0.25
        return max(0.05, min(0.99, confidence))

    def _decide(
        self,
        subject: Subject,
        tally: _Tally,
        notes: list[str],
        kinds: KindResult,
        verdict: HubVerdict | None,
        context: Context,
    ) -> Classification:
        orgs = self.registry.orgs
        root_of = {o: self._root_ids[o] for o in tally.scores}
        families: dict[str, float] = defaultdict(float)
        for org_id, score in tally.scores.items():
            families[root_of[org_id]] += score
        # Platforms (Hugging Face, LMArena) are where things happen, not who does them.
        # A hub repository of the platform's own lab (HuggingFaceTB/SmolLM3) is its release.
        about = (
            self._root_ids[verdict.primary.id]
            if verdict is not None and verdict.primary is not None
            else None
        )
        # A platform named only in a lead ("models on Hugging Face") is where, never who.
        others = any(orgs[r].type != "platform" for r in families)
        for root_id in [r for r in families if orgs[r].type == "platform" and r != about]:
            if others or not any(root_of[o] == root_id for o in tally.in_title):
                del families[root_id]

        # A country named in passing ("sales to China") is involved but is not the subject;
        # a country alone makes an item attributable only when it is government action.
        # A family named only as a comparison ("challengers to Nvidia") is not the subject.
        compared_only = tally.compared - tally.counted

        # A government named only in the lead of an item that is neither policy nor about AI
        # is a source, not the subject: "据市场监管总局公告" under a car recall.
        quoted_gov = {
            r
            for r in families
            if orgs[r].type == "government" and not any(root_of[o] == r for o in tally.in_title)
        }
        if quoted_gov and (kinds.kind == "policy" or context.about_ai):
            quoted_gov = set()

        def candidate(root_id: str) -> bool:
            if root_id in compared_only or root_id in quoted_gov:
                return False
            return not orgs[root_id].weak or root_id == tally.subject

        strong = {r: s for r, s in families.items() if candidate(r)}
        if verdict is not None:  # a hub upload is about the model it carries, known or not
            strong = {r: s for r, s in strong.items() if r == about}
        elif kinds.kind == "policy":
            # a rule belongs to the government that makes it, even when the headline starts
            # with the country it targets; a country named only in the summary never acts
            acting = {
                r: s
                for r, s in families.items()
                if orgs[r].type == "government"
                and (
                    not orgs[r].weak
                    or any(root_of[o] == r and o not in tally.targets for o in tally.in_title)
                )
            }
            declared = {
                r: v for r, v in acting.items() if any(root_of[o] == r for o in tally.actors)
            }
            strong = declared or acting or strong
        weak_only = not strong
        if weak_only and verdict is None:  # "a Hangzhou-based start-up": a country, weakly
            strong = {r: s for r, s in families.items() if orgs[r].type == "origin"}
        primary_org = primary_country = None
        countries: list[str] = []
        if strong:
            best_root = max(strong, key=lambda r: strong[r])
            members = [o for o in tally.scores if root_of[o] == best_root]
            primary_org = max(members, key=lambda o: (tally.scores[o], orgs[o].parent is not None))
            if orgs[primary_org].type == "people":  # a founder names the organisation
                primary_org = orgs[primary_org].parent or primary_org
            primary_country = orgs[best_root].country
            for root_id, score in sorted(families.items(), key=lambda kv: -kv[1]):
                country = orgs[root_id].country
                if (score >= 2 or root_id == best_root) and country not in countries:
                    countries.append(country)
            confidence = self._confidence(strong, best_root, tally, weak_only, root_of)
        elif verdict is not None:
            confidence = 0.5  # an unknown uploader: nobody to name, and that is sure
        elif not tally.scores and not context.about_ai:
            confidence = 0.6  # nothing about AI, and no name: probably nobody's release
        else:
            confidence = 0.2 if context.about_ai else 0.5  # about AI, yet no one named
        if (
            primary_country is None
            and verdict is None
            and not context.about_ai
            and kinds.kind != "other"
            and subject.source_type == "feed"
        ):  # a rocket launch or a cement maker's results: not an AI story of any kind
            said = tuple(r for r in kinds.reasons if not r.startswith("kind "))
            kinds = replace(kinds, kind="other", reasons=("kind other: not about AI", *said))
        ranked = tuple(
            o
            for o in sorted(tally.scores, key=lambda o: -tally.scores[o])
            if root_of[o] in families
        )
        return Classification(
            primary_country=primary_country,
            countries=tuple(countries),
            primary_org=primary_org,
            orgs=ranked if primary_org else (),
            kind=kinds.kind,
            modalities=kinds.modalities,
            open_weights=kinds.open_weights,
            licence=_stored_licence(kinds.licence),
            params=kinds.params,
            confidence=round(confidence, 2),
            reasons=tuple(tally.reasons + notes + list(kinds.reasons)),
            derivative_of=(
                (verdict.base_model or "an unknown model")
                if verdict is not None and not verdict.release
                else None
            ),
            derivative=verdict.derivative if verdict else None,
            base_model=verdict.base_model if verdict else None,
            uploader=subject.hub.namespace if subject.hub else None,
            kind_confidence=kinds.confidence,
        )
