"""The documentation tells the same story as the code.

- ``docs/parameters.md`` is exactly what ``python -m sendabm.presentation.paramdoc`` generates now;
- ``docs/policies.md`` is exactly what ``python -m sendabm.presentation.leverdoc`` generates now,
  and no lever's prose retypes one of its option values;
- every parameter is named in ``docs/ODD.md`` or ``docs/parameters.md``;
- every module of the package appears in the README's module map.
"""

import re
from pathlib import Path

from sendabm.core.parameters import PARAMETERS
from sendabm.core.policies import LEVERS
from sendabm.presentation import leverdoc, paramdoc

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "sendabm"
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


def test_module_map_lists_every_module():
    section = _module_map()
    modules = sorted(PACKAGE.glob("*.py")) + sorted((PACKAGE / "kernels").glob("*.py"))
    assert modules, "no modules found"
    missing = [str(m.relative_to(ROOT)) for m in modules
               if not _mentions(section, str(m.relative_to(ROOT).as_posix()))]
    assert not missing, f"README.md module map does not mention: {', '.join(missing)}"


def test_module_map_lists_the_folders():
    section = _module_map()
    missing = [folder for folder in MAP_FOLDERS if folder not in section]
    assert not missing, f"README.md module map does not mention: {', '.join(missing)}"
