"""The release an item is about, and what that says about its kind.

The glue between attribution and release keys: model families come from the organisation
registry, a hub item is keyed by its repository name, anything else by its title
(:func:`bot.stories.keys.release_key` does the pure work).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.attribution.classify import Classification
from bot.attribution.registry import Registry
from bot.stories.keys import FAMILY_AND_VERSION, Families, ReleaseKey, release_key


def families_of(registry: Registry) -> Families:
    """Model families by name, each with the root organisation making it."""
    return Families(
        (registry.root(o).id, o.products, (o.name, *o.aliases)) for o in registry.orgs.values()
    )


def item_release_key(
    title: str,
    hub: Mapping[str, object] | None,
    org: str | None,
    registry: Registry,
    families: Families,
    announces: bool = False,
) -> ReleaseKey | None:
    """The release an item is about: from a hub item's repository name, else its title.

    A repository named after a family of the account's own organisation is its release;
    any other (a quantisation, a mirror, a fine-tune) is keyed by the family its name
    gives: ``unsloth/Kimi-K2-Thinking-GGUF`` covers Moonshot's release."""
    if hub and "/" in str(hub.get("repo_id", "")):
        namespace, name = str(hub["repo_id"]).split("/", 1)
        known = registry.by_namespace(namespace)
        owner_of, _, rest = name.partition("_")
        if rest and registry.by_namespace(owner_of):
            name = rest  # bartowski/deepseek-ai_DeepSeek-V3-0324-GGUF names deepseek-ai's repo
        owner = registry.root(known).id if known else org
        return release_key(name, families, owner, repo=True) or release_key(
            name, families, None, repo=True
        )
    return release_key(title, families, org, announces=announces)


def model_kind(cls: Classification, key: ReleaseKey | None) -> Classification:
    """ "StepFun open-sources Step-4": what is open-sourced is a model (the item names a
    family and version of its organisation), so it is a model release, not code or data."""
    if cls.kind != "open_source" or key is None or key.how != FAMILY_AND_VERSION:
        return cls
    return replace(
        cls,
        kind="model_release",
        reasons=(
            *cls.reasons,
            f"kind model release: '{key.name}' is a model, so open-sourcing it releases it",
        ),
    )
