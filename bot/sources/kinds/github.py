"""A GitHub repository's releases or tags, read as GitHub's Atom feed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from bot.sources.kinds import register
from bot.sources.kinds.base import HttpUrl, Kind, SourceBase

if TYPE_CHECKING:
    from bot.attribution.registry import Org, Registry


def _owner_name(repo: str) -> str:
    if repo.count("/") != 1:
        raise ValueError("repo must look like OWNER/NAME")
    return repo


class GithubSource(SourceBase):
    type: Literal["github"] = "github"
    repo: Annotated[str, AfterValidator(_owner_name)] = Field(
        description="the repository, OWNER/NAME"
    )
    watch: Literal["releases", "tags"] = "releases"
    url: HttpUrl | None = None  # another address for the same feed (a mirror, a test server)


class Github(Kind[GithubSource]):
    def label(self, spec: GithubSource) -> str:
        return spec.url or f"https://github.com/{spec.repo}/{spec.watch}.atom"

    def organisation(self, spec: GithubSource, url: str, registry: Registry) -> Org | None:
        return registry.by_github(spec.repo.split("/")[0])


register(Github(GithubSource))
