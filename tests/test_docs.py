"""The documentation tells the same story as the code.

- ``docs/parameters.md`` is exactly what ``python -m sendabm.presentation.paramdoc`` generates now;
- ``docs/policies.md`` is exactly what ``python -m sendabm.presentation.leverdoc`` generates now,
  and no lever's prose retypes one of its option values;
- every parameter is named in ``docs/ODD.md`` or ``docs/parameters.md``;
- the README's module map lists every module of the package (every ``.py`` file under
  ``sendabm/``, an ``__init__.py`` only if it holds more than a docstring, and
  ``sendabm/data/`` as one line) and nothing else, grouped by layer bottom up.
"""

import ast
import re
from pathlib import Path

from test_layering import LAYERS, layer_of

from sendabm.core.parameters import PARAMETERS
from sendabm.core.policies import LEVERS
from sendabm.presentation import leverdoc, paramdoc

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "sendabm"
DATA_FOLDERS = ("sendabm/data/",)
"""Package folders of data files, listed in the module map as one line each."""
MAP_FOLDERS = ("experiments/", "tests/", "benchmarks/", "docs/", "results/")


def _read(path: Path) -> str:
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    return path.read_text(encoding="utf-8")


def _module_map() -> str:
    """The README section whose heading contains 'Module map', up to the next heading."""
    text = _read(ROOT / "README.md")
    match = re.search(r"^(#+)\s+Module map\b.*?$(.*?)(?=^#{1,2}\s|\Z)", text, re.M | re.S | re.I)
    assert match, "README.md has no '## Module map' section"
    return match.group(2)


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w/]){re.escape(word)}(?![\w])", text) is not None


def test_parameters_md_is_current():
    current = _read(DOCS / "parameters.md")
    assert current == paramdoc.render(), (
        f"docs/parameters.md is out of date; regenerate it with: {paramdoc.COMMAND}")


def test_policies_md_is_current():
    current = _read(DOCS / "policies.md")
    assert current == leverdoc.render(), (
        f"docs/policies.md is out of date; regenerate it with: {leverdoc.COMMAND}")


def test_lever_prose_renders_option_values_instead_of_retyping_them():
    # Values such as 0 and 1 are also the ends of the strength scale, so only the
    # others are checked; a placeholder {option} renders the declared value.
    for lever in LEVERS.values():
        prose = "\n".join((lever.doc, lever.strength or "", lever.changes, lever.reasoning,
                           lever.not_modelled, lever.test))
        prose = re.sub(r"\{[^{}]*\}", "", prose)
        prose = re.sub(r"`[^`]*`", "", prose)  # names and the options' own examples
        for key, option in lever.options.items():
            value = option.default
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or value in (0, 1):
                continue
            text = leverdoc.format_value(value)
            assert not re.search(rf"(?<![\w.]){re.escape(text)}(?![\w]|\.\d)", prose), (
                f"lever '{lever.name}' retypes {key} = {text} in its prose; write "
                f"{{{key}}} instead")


def test_every_parameter_is_documented():
    text = _read(DOCS / "ODD.md") + "\n" + _read(DOCS / "parameters.md")
    missing = [name for name in PARAMETERS if not _mentions(text, name)]
    assert not missing, (
        f"parameters not named in docs/ODD.md or docs/parameters.md: {', '.join(missing)}; "
        f"regenerate with: {paramdoc.COMMAND}")


def _holds_code(path: Path) -> bool:
    """Whether a module holds more than a docstring (the map leaves out bare ``__init__``)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body)


def _package_modules() -> set[str]:
    """Every module file under sendabm/, recursively, that the map must list: all but the
    ``__init__.py`` files that hold only a docstring, and none of the data folders'."""
    modules = {path.relative_to(ROOT).as_posix() for path in PACKAGE.rglob("*.py")
               if path.name != "__init__.py" or _holds_code(path)}
    return {m for m in modules if not m.startswith(DATA_FOLDERS)}


def _map_rows() -> list[tuple[str, str]]:
    """(layer, path) of each row of the module map's layered table, in order."""
    rows = re.findall(r"^\|\s*([a-z]+)\s*\|\s*`(sendabm/[^`]*)`\s*\|", _module_map(), re.M)
    assert rows, "README.md module map has no '| layer | `sendabm/...` | ... |' rows"
    return rows


def test_module_map_lists_every_module():
    expected = _package_modules()
    assert len(expected) > 50, f"only {len(expected)} modules found under sendabm/"
    listed = [path for _, path in _map_rows()]
    duplicated = sorted({path for path in listed if listed.count(path) > 1})
    assert not duplicated, f"README.md module map lists twice: {', '.join(duplicated)}"
    missing = sorted(expected - set(listed) - set(DATA_FOLDERS))
    assert not missing, f"README.md module map does not list: {', '.join(missing)}"
    unknown = sorted(set(listed) - expected - set(DATA_FOLDERS))
    assert not unknown, (
        f"README.md module map lists what is not a module of the package (moved, removed, "
        f"or an __init__.py that holds only a docstring): {', '.join(unknown)}")
    absent = [folder for folder in DATA_FOLDERS if folder not in listed]
    assert not absent, f"README.md module map does not list: {', '.join(absent)}"


def test_module_map_is_grouped_by_layer_bottom_up():
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    last = 0
    for layer, path in _map_rows():
        module = ".".join(Path(path.rstrip("/")).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        actual = layer_of(module)
        assert layer == actual, (
            f"README.md module map puts {path} in layer '{layer}'; its layer is '{actual}'")
        assert rank[layer] >= last, (
            f"README.md module map lists {path} (layer '{layer}') after layer "
            f"'{LAYERS[last]}'; list the layers bottom up: {', '.join(LAYERS)}")
        last = rank[layer]


def test_module_map_lists_the_folders():
    section = _module_map()
    missing = [folder for folder in MAP_FOLDERS if folder not in section]
    assert not missing, f"README.md module map does not mention: {', '.join(missing)}"


def _doc_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "results" / "README.md",
            ROOT / "experiments" / "README.md", *sorted(DOCS.glob("*.md"))]


def test_links_and_named_docs_exist():
    """Every relative link of the READMEs and docs, and every ``NAME.md`` they or the
    package's docstrings name, is a file of the repository."""
    files = {p.name for p in ROOT.rglob("*.md") if ".git" not in p.parts}
    for doc in _doc_files():
        text = _read(doc)
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (doc.parent / target).exists(), (
                f"{doc.relative_to(ROOT)} links to {target}, which is not in the repository")
    sources = [*(_read(p) for p in _doc_files()),
               *(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))]
    for text in sources:
        for name in re.findall(r"\b([A-Z][A-Za-z_]*\.md)\b", text):
            assert name in files, f"a doc or docstring names {name}, which is not in the repository"
        assert not re.search(r"\bDESIGN §", text), "DESIGN § names a document not in the repository"


def test_the_glossary_explains_the_abbreviations_the_docs_use():
    glossary = _read(DOCS / "glossary.md")
    assert "docs/glossary.md" in _read(ROOT / "README.md")
    for term in ("EHC plan", "SEN2", "High-needs block", "Isos", "CST", "NCB", "PCV", "SEN support",
                 "DSG", "EP", "LA", "Statutory override", "Adversarial index"):
        assert re.search(rf"^\| \*\*{re.escape(term)}\b", glossary, re.M), (
            f"docs/glossary.md has no entry for {term}")


def test_the_readme_test_command_runs_the_slow_tests_too():
    """CI runs the README's test command (``.ci/run``), so the slow tests run in CI only
    if that command runs them after the default suite."""
    section = _read(ROOT / "README.md").split("Run the tests", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", section, re.S).group(1)
    assert re.search(r"&& pytest && pytest -m slow$", command.strip()), command
    assert "-m 'not slow'" in _read(ROOT / "pyproject.toml")
