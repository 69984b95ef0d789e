"""Hub repositories: whose model a repository is, and whether publishing it is a release.

A GGUF of Qwen3 uploaded by a community account is *about* Qwen3: its organisation and
country are the base model's, the uploader is only involved, and it is not a release. The
base model comes from what the hub declares (``base_model:`` tags, ``baseModels``, the card),
and failing that from the repository's name ("Qwen3-8B-GGUF" names Qwen). A fine-tune that a
real lab publishes on another lab's base stays that lab's release; quantisations, adapters,
merges and re-uploads by anyone but the base model's organisation do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.attribution.matcher import Matcher
from bot.attribution.registry import Org, Registry
from bot.attribution.vocab import DERIVATIVES
from bot.items import HubFacts

_SEP = r"(?:^|[-_.\s])"
_END = r"(?=$|[-_.\s])"
# What a repository name says about how it was made from its base.
_QUANT_NAME = re.compile(
    _SEP + r"(gguf|ggml|mlx|awq|gptq|exl[23]|bnb|hqq|imatrix|i1|quant(?:ized|s)?|"
    r"\d{1,2}[-_.]?bits?|[0-9.]+bpw|fp[48]|nvfp4|mxfp4|int[48]|w[48]a(?:8|16)|"
    r"q[2-8](?:_[0-9a-z]+)*|iq[1-4](?:_[a-z]+)*|dynamic|onnx|openvino|coreml|mnn|rknn)" + _END,
    re.IGNORECASE,
)
# precision or packaging, not a change to the model: stripped when comparing names
_FORMAT_NAME = re.compile(_SEP + r"(bf16|fp16|fp32|f16|f32|hf|safetensors|pytorch)" + _END, re.I)
_ADAPTER_NAME = re.compile(_SEP + r"(q?lora|adapters?|peft)" + _END, re.IGNORECASE)
_MERGE_NAME = re.compile(_SEP + r"(merged?|slerp|ties|dare|della|frankenmerge)" + _END, re.I)
_QUANT_TAGS = frozenset(
    [
        "gguf",
        "ggml",
        "mlx",
        "awq",
        "gptq",
        "exl2",
        "exl3",
        "4-bit",
        "8-bit",
        "bitsandbytes",
        "compressed-tensors",
        "fp8",
        "quantized",
        "onnx",
        "openvino",
    ]
)
_ADAPTER_TAGS = frozenset(["lora", "peft", "adapter-transformers"])
_MERGE_TAGS = frozenset(["mergekit", "merge"])
_QUANT_LIBRARIES = frozenset(["gguf", "mlx", "onnx", "openvino"])


LABS = frozenset(["lab", "bigtech", "research", "university", "chips"])  # not "startup": unsloth


@dataclass(frozen=True)
class HubVerdict:
    """Who a repository belongs to. ``primary`` is the org the item is about (None: unknown);
    ``release`` is False for derivatives that only re-publish someone else's model."""

    primary: Org | None
    uploader: Org | None
    derivative: str | None
    base_model: str | None
    base_org: Org | None
    release: bool
    reasons: tuple[str, ...]


def _relation_from_name_and_tags(hub: HubFacts) -> str | None:
    name = hub.repo_id.split("/", 1)[-1]
    tags = {t.lower() for t in hub.tags}
    library = (hub.library or "").lower()
    if _QUANT_NAME.search(name) or tags & _QUANT_TAGS or library in _QUANT_LIBRARIES:
        return "quantized"
    if _ADAPTER_NAME.search(name) or tags & _ADAPTER_TAGS or library == "peft":
        return "adapter"
    if _MERGE_NAME.search(name) or tags & _MERGE_TAGS:
        return "merge"
    return None


def _bare(name: str) -> str:
    """A model name without its quantisation markers, for comparing names across repos."""
    name = name.split("/", 1)[-1]
    previous = None
    while previous != name:
        previous = name
        name = _FORMAT_NAME.sub("", _QUANT_NAME.sub("", name))
    return re.sub(r"[-_.\s]+$", "", name)


# words a community fine-tune adds to a model's name; not the words labs put in their own
# variants' names ("Kimi-K2-Thinking", "Qwen3-Coder", "Qwen2.5-Math"), which a plain copy keeps
_FINETUNE_NAME = re.compile(
    _SEP + r"(sft|dpo|orpo|grpo|kto|rlhf|ft|fine[-_]?tuned?|tuned|abliterated|uncensored|"
    r"distill(?:ed)?|heretic|roleplay|rp|medical)" + _END,
    re.IGNORECASE,
)


def _same_name(a: str, b: str) -> bool:
    def key(name: str) -> str:
        return re.sub(r"[-_.\s]+", "", _bare(name)).lower()

    return key(a) == key(b)


class HubJudge:
    """Built once per registry; ``judge`` is pure."""

    def __init__(self, registry: Registry, matcher: Matcher) -> None:
        self.registry = registry
        self.matcher = matcher

    def _family(self, a: Org | None, b: Org | None) -> bool:
        return a is not None and b is not None and self.registry.root(a) is self.registry.root(b)

    def _named_orgs(self, model_id: str) -> list[Org]:
        """The organisations whose models a repository name names, in order:
        "qwen2.5-7b-instruct-gguf" names Qwen (case and separators do not matter)."""
        name = model_id.split("/", 1)[-1]
        # as written first ("Seed-OSS-36B" names Seed-OSS), then with its separators as spaces
        found = self.matcher.find(name, model_name=True) or self.matcher.find(
            re.sub(r"[-_]+", " ", name), model_name=True
        )
        orgs = [
            self.registry.orgs[m.org_id]
            for m in found
            # a platform's own model family (SmolLM) names it; its name alone does not
            if m.role == "product" or self.registry.orgs[m.org_id].type != "platform"
        ]
        return [o for o in orgs if not o.weak and o.type != "government"]

    def _owner_prefixed(self, repo_id: str) -> str | None:
        """ "deepseek-ai_DeepSeek-R1-GGUF": some accounts put the base's owner in the name."""
        owner, _, rest = repo_id.split("/", 1)[-1].partition("_")
        if rest and self.registry.by_namespace(owner) is not None:
            return f"{owner}/{_bare(rest)}"
        return None

    def _org_of_model(self, model_id: str) -> Org | None:
        owner = model_id.split("/", 1)[0] if "/" in model_id else ""
        # a platform's own namespace (HuggingFaceTB) publishes the platform's own models
        org = self.registry.by_namespace(owner) if owner else None
        if org is not None:
            return org
        return next(iter(self._named_orgs(model_id)), None)

    def _relation(
        self, hub: HubFacts, declared: str | None, named_only: bool, by_name: str | None
    ) -> str | None:
        """How the repository derives from its base: what the hub says, corrected by the
        name (a GGUF tagged "finetune" is a quantisation; a copy under the same name is a
        re-upload)."""
        if by_name == "quantized":
            return by_name
        if declared and _same_name(declared, hub.repo_id):
            return "reupload"
        if hub.derivative in DERIVATIVES:
            return hub.derivative
        if by_name:
            return by_name
        if named_only and not _FINETUNE_NAME.search(hub.repo_id.split("/", 1)[-1]):
            return "reupload"
        return "finetune"

    def judge(self, hub: HubFacts) -> HubVerdict:
        uploader = self.registry.by_namespace(hub.namespace)
        reasons = self._uploader(hub, uploader)
        declared = hub.base_models[0] if hub.base_models else self._owner_prefixed(hub.repo_id)
        by_name = _relation_from_name_and_tags(hub)
        if declared is None and by_name is None and uploader is not None and uploader.type in LABS:
            # a known lab's repository that declares no base and looks like no conversion:
            # its release, whatever model family its name mentions
            return HubVerdict(uploader, uploader, None, None, None, True, tuple(reasons))
        base_model = declared
        if declared:
            base_org = self._org_of_model(declared)
        else:
            named = self._named_orgs(hub.repo_id)
            foreign = [o for o in named if not self._family(o, uploader)]
            base_org = foreign[0] if foreign else (uploader if named else None)
            if base_org is not None and base_org is not uploader:
                reasons.append(f"the repository name names {self._root_label(base_org)}'s model")
        own = self._family(uploader, base_org)
        if declared is None and (base_org is None or own):
            relation = by_name
            if relation is None:  # an original: the uploader's release
                return HubVerdict(uploader, uploader, None, None, None, True, tuple(reasons))
            if own:
                base_model = f"{hub.namespace}/{_bare(hub.repo_id)}"
        else:
            relation = self._relation(hub, declared, declared is None, by_name)
            home = base_org.hf[0] if base_org is not None and base_org.hf else None
            if declared is None and home and relation in ("quantized", "reupload"):
                base_model = f"{home}/{_bare(hub.repo_id.split('/', 1)[1])}"  # a good guess
        lab_finetune = (
            relation == "finetune" and uploader is not None and uploader.type != "platform"
        )
        release = own or lab_finetune
        base_label = self._root_label(base_org) if base_org else "an unknown organisation"
        if release:
            primary = uploader
            if not own:
                reasons.append(
                    f"{relation} of {base_model or 'a model'} ({base_label}): its release"
                )
        else:
            primary = base_org
            reasons.append(
                f"{relation} of {base_model or 'a model'} ({base_label}) uploaded by "
                f"{hub.namespace}: about the base model, not a release"
            )
        return HubVerdict(
            primary, uploader, relation, base_model, base_org, release, tuple(reasons)
        )

    def _root_label(self, org: Org) -> str:
        root = self.registry.root(org)
        return f"{root.name} ({root.country})"

    def _uploader(self, hub: HubFacts, uploader: Org | None) -> list[str]:
        where = "Hugging Face" if hub.hub == "huggingface" else "ModelScope"
        if uploader is None:
            return [f"uploader {hub.namespace} is not a known organisation"]
        return [f"{where} namespace {hub.namespace} -> {self._root_label(uploader)}"]
