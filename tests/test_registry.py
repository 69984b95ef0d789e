"""The organisation registry: `racewatch orgs --check` on users' files, and what the shipped
registry covers (seeded from Epoch AI's lists by scripts/seed_orgs.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from click.testing import CliRunner

import bot.cli.info  # noqa: F401  (registers `orgs`)
from bot.attribution.classify import Classifier, Subject
from bot.attribution.matcher import Matcher
from bot.attribution.registry import load_registry
from bot.cli import cli
from bot.stories.release import families_of

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "config" / "orgs.yaml"


def run_check(*files: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["orgs", "--check", *map(str, files)])
    return result.exit_code, result.output


def write(tmp_path: Path, text: str, name: str = "orgs.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_good_file_passes_and_counts_what_would_be_loaded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "organisations:\n"
        "  - {id: acme-ai, name: Acme AI, country: DE, aliases: [Acme AI], hf: [acme-ai]}\n"
        "  - {id: qwen, name: Qwen team, country: CN, parent: alibaba, aliases: [Qwen team]}\n",
    )
    code, out = run_check(path)
    assert code == 0, out
    assert "organisations OK" in out
    shipped = len(load_registry())
    assert f"{shipped + 1} organisations" in out  # qwen overrides the shipped entry


@pytest.mark.slow
def test_every_problem_is_named_with_its_file_line_and_a_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "organisations:\n"
        "  - {id: lab-one, name: Lab One, country: CHN, aliases: [Lab One]}\n"
        "  - {id: lab-two, name: Lab Two, country: UK, aliases: [Lab Two, DeepSeek]}\n"
        "  - {id: lab-three, name: Lab Three, country: US, parent: alibab,\n"
        "     aliases: [Lab Three], hf: [mlx-community], ambiguous: [Lab Thre]}\n"
        "  - {id: lab-one, name: Lab Uno, country: FR, aliases: [Lab Uno], domains: ['https://uno.fr/']}\n"
        "  - {id: lab-four, name: Lab Four, country: US, aliases: [Lab Four], typo: x}\n",
    )
    code, out = run_check(path)
    assert code == 2
    text = " ".join(out.split())
    assert f"{path}:2" in text and "'CHN' is not an ISO 3166 country code" in text
    assert "use the two-letter ISO 3166 code 'CN'" in text
    assert f"{path}:3" in text and "the ISO 3166 code is 'GB'" in text
    assert "name 'deepseek' also belongs to 'deepseek'" in text and "orgs.yaml:" in text
    assert f"{path}:4" in text and "unknown parent 'alibab'" in text
    assert "did you mean 'alibaba'?" in text
    assert "'mlx-community' is a community namespace" in text
    assert "'Lab Thre' is marked ambiguous but is not one of this entry's names" in text
    assert "did you mean 'Lab Three'?" in text
    assert f"{path}:6" in text and "id 'lab-one' is already used at" in text
    assert "'https://uno.fr/' is not a host name" in text
    assert f"{path}:7" in text and "unknown field 'typo'" in text


@pytest.mark.slow
def test_names_the_matcher_cannot_tell_apart_collide_and_case_variants_of_short_ones_do_not(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "organisations:\n"
        "  - {id: a-lab, name: A Lab, country: US, aliases: [A Lab, ACME, Orbital Labs]}\n"
        "  - {id: b-lab, name: B Lab, country: US, aliases: [B Lab, Acme, orbital labs]}\n"
        "  - {id: c-lab, name: C Lab, country: US, parent: d-lab, aliases: [C Lab]}\n"
        "  - {id: d-lab, name: D Lab, country: US, parent: c-lab, aliases: [D Lab]}\n",
    )
    code, out = run_check(path)
    text = " ".join(out.split())
    assert code == 2
    assert "name 'orbital labs' also belongs to 'a-lab'" in text
    assert "acme" not in text.lower()  # "ACME" and "Acme" are two names: short ones keep case
    assert "parent chain comes back to itself: c-lab -> d-lab -> c-lab" in text


@pytest.mark.slow
def test_broken_yaml_and_a_file_without_the_list_are_clear(tmp_path: Path) -> None:
    broken = write(tmp_path, "organisations:\n  - {id: x, name: [\n", "broken.yaml")
    empty = write(tmp_path, "orgs: []\n", "empty.yaml")
    code, out = run_check(broken, empty, tmp_path / "missing.yaml")
    text = " ".join(out.split())
    assert code == 2
    assert f"{broken}:" in text and "not valid YAML" in text
    assert "no 'organisations:' list in this file" in text
    assert "missing.yaml" in text and "file not found" in text


@pytest.mark.slow
def test_the_shipped_registry_passes_its_own_check() -> None:
    code, out = run_check(SHIPPED)
    assert code == 0, out
    code, out = CliRunner().invoke(cli, ["orgs", "--check"]).exit_code, ""
    assert code == 0


@pytest.mark.slow
def test_querying_the_registry_still_works_with_several_words() -> None:
    result = CliRunner().invoke(cli, ["orgs", "Moonshot", "AI"])
    assert result.exit_code == 0
    assert "Moonshot AI" in result.output


# --------------------------------------------------------------------- coverage of real data


def _seeder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seed_orgs", ROOT / "scripts" / "seed_orgs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["seed_orgs"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_registry_knows_epoch_ais_chinese_and_us_model_makers() -> None:
    seed = _seeder()
    orgs, models = seed.read_epoch(seed.DEFAULT_EPOCH)
    registry = load_registry()
    assert len(registry) >= 600
    extra = yaml.safe_load(seed.EXTRA.read_text(encoding="utf-8"))
    lines = seed.coverage(registry, orgs, models, set(extra["skip"]))
    share = {
        line.split(":")[0]: int(m.group(1)) / int(m.group(2))
        for line in lines
        if (m := re.search(r"(\d+)/(\d+)", line))
    }
    assert share["CN organisations known"] >= 0.95, lines
    assert share["US organisations known"] >= 0.95, lines


@pytest.mark.slow
def test_seeding_writes_only_what_is_missing_and_marks_every_name_ambiguous(
    tmp_path: Path,
) -> None:
    seed = _seeder()
    epoch = tmp_path / "epoch"
    epoch.mkdir()
    (epoch / "organizations.csv").write_text(
        "Organization,Country,Organization categorization\n"
        "Tencent AI Lab,China,Industry\n"
        "Beihang University,China,Academia\n"
        "Internet Company K,China,Industry\n"
        '"Acme: Labs, Inc.","Multinational,United States of America",Industry\n'
        "Nowhere Lab,,Industry\n"
        "Alibaba,China,Industry\n",
        encoding="utf-8",
    )
    (epoch / "notable_ai_models_2024.csv").write_text(
        "Model,Organization,Publication date\n"
        "Beihang-LM 7B,Beihang University,2024-01-01\n"
        "Amber,Beihang University,2024-01-02\n"
        'Joint-1,"Beihang University,Tencent AI Lab",2024-01-03\n',
        encoding="utf-8",
    )
    registry = tmp_path / "orgs.yaml"
    registry.write_text(
        "organisations:\n"
        "  - {id: tencent, name: Tencent, country: CN, aliases: [Tencent], products: [Hunyuan]}\n"
        "  - {id: alibaba, name: Alibaba, country: CN, aliases: [Alibaba]}\n",
        encoding="utf-8",
    )
    args = ["--epoch", str(epoch), "--orgs", str(registry), "--write"]
    assert seed.main(args) == 0
    first = registry.read_text(encoding="utf-8")
    assert seed.main(args) == 0
    assert registry.read_text(encoding="utf-8") == first, "a second run adds nothing"
    code, out = run_check(registry)
    assert code == 0, out
    text = load_registry([registry])
    lab = text.get("tencent-ai-lab")
    assert lab is not None and lab.parent == "tencent"
    assert "Tencent AI Lab" not in lab.ambiguous  # as sure a name as "Tencent" itself
    beihang = text.get("beihang-university")
    assert beihang is not None and beihang.country == "CN"
    # not "Amber" (a word), not a joint model, not one named after Tencent's family
    assert beihang.products == ("Beihang-LM 7B",)
    assert beihang.ambiguous == {"Beihang University", "Beihang-LM 7B", *beihang.aliases}
    acme = text.get("acme-labs-inc")
    assert acme is not None and acme.name == "Acme: Labs, Inc." and acme.country == "US"
    assert "Internet Company K" not in first and "Nowhere Lab" not in first
    assert "Epoch AI" in first
    matcher = Matcher(text)
    assert not matcher.find("Beihang University wins the rowing cup")
    assert [m.org_id for m in matcher.find("Beihang University releases an AI model")] == [
        "beihang-university"
    ]


@pytest.mark.slow
def test_a_tab_in_an_organisation_file_gets_the_tab_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "organisations:\n\t- {id: x, name: X, country: US}\n")
    code, out = run_check(path)
    assert code == 2
    assert f"{path}:2" in out and "YAML does not allow tabs" in " ".join(out.split())


@pytest.mark.parametrize(
    ("family", "org"),
    [
        ("gpt", "openai"),
        ("llama", "meta"),
        ("qwen", "qwen"),
        ("pangu", "huawei"),
        ("deepseek", "deepseek"),
        ("gemini", "google"),
        ("glm", "zhipu"),
        ("ernie", "baidu"),
    ],
)
@pytest.mark.slow
def test_every_big_model_family_still_has_one_owner(family: str, org: str) -> None:
    """A second organisation with a product of the same family (a fine-tune named after
    it) would make the family nobody's, and stories of its releases would stop merging."""
    registry = load_registry()
    owner = families_of(registry).by_stem.get(family)
    assert owner is not None, f"'{family}' is claimed by two organisations"
    assert owner.org == registry.root(registry.orgs[org]).id


# Single words that are names first: brands with no other meaning in English text, or AI
# products whose everyday sense is rare in news. Every other name that is an everyday English
# word must be marked ambiguous (it then counts only in text about AI).
NAMES_NOT_WORDS = {
    "Google",
    "Microsoft",
    "Sony",
    "Samsung",
    "Intel",
    "Huawei",
    "Nvidia",
    "NVIDIA",
    "Xiaomi",
    "Qualcomm",
    "Siri",
    "Pentagon",
}


@pytest.mark.slow
def test_names_that_are_everyday_english_words_need_ai_context() -> None:
    from wordfreq import zipf_frequency

    registry = load_registry()
    plain = []
    for org in registry.orgs.values():
        for name in (*org.aliases, *org.products):
            if org.weak or name in org.ambiguous or name in NAMES_NOT_WORDS:
                continue
            if org.type == "government":
                continue  # "Congress", "Treasury": government actors need AI or tech context
            if not (name.isascii() and name.isalpha()):
                continue
            if len(name) <= 5 and name not in (name.capitalize(), name.lower()):
                continue  # "GLM", "ERNIE": matched with their case, not the word's
            if zipf_frequency(name.lower(), "en") >= 3.0:
                plain.append(f"{name} ({org.id})")
    assert plain == []


@pytest.mark.parametrize(
    ("headline", "country"),
    [
        ("구글 제미나이, 내 차 안의 똑똑한 비서 AI", "US"),
        ("네이버 '하이퍼클로바X' 기술평가 공개…\"토종 AI 모범사례\"", "KR"),
        ("ソフトバンクG、AI開発を加速", "JP"),
        ("寒武纪发布新一代AI芯片", "CN"),
        ("燧原科技完成新一轮融资,加码AI芯片", "CN"),
        ("Pony.ai expands robotaxi fleet in Guangzhou", "CN"),
        ("Anduril unveils autonomous AI drone wingman", "US"),
        ("Сбер представил GigaChat 2.0 с новой моделью", "RU"),
        ("Palantir AIP wins new Army contract", "US"),
        ("Boston Dynamics shows new Atlas robot doing factory work", "US"),
    ],
)
def test_labs_beyond_the_big_two_are_found_in_their_own_languages(
    headline: str, country: str, classifier: Classifier
) -> None:
    result = classifier.classify(Subject(title=headline))
    assert result.primary_country == country, result.reasons


@pytest.mark.parametrize(
    "headline",
    [
        "海螺水泥:行业需求持续承压,下半年盈利有望企稳",  # Conch cement, not MiniMax's Hailuo
        "Beihang University wins the national rowing cup",
        "Amazon rainforest loses an area the size of Wales",
        "Students at Berkeley protest tuition rises",
    ],
)
def test_everyday_names_in_text_not_about_ai_give_no_country(
    headline: str, classifier: Classifier
) -> None:
    result = classifier.classify(Subject(title=headline))
    assert result.primary_country is None, result.reasons


@pytest.mark.slow
def test_the_european_union_is_a_country_code_a_registry_may_use(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "organisations:\n  - {id: eu-ai-office, name: EU AI Office, country: EU, type: government,"
        " aliases: [EU AI Office]}\n",
    )
    code, out = run_check(path)
    assert code == 0, out
