"""The environment files agree with pyproject.toml, and the package declares what it imports.

Every `envs/*.yaml` (the conda environments the workflow's rules run in, with the checkout's own
package on PYTHONPATH) must hold each runtime dependency of `pyproject.toml` (names compared
after PEP 503 normalisation and conda-to-PyPI renaming), with version bounds inside the
package's own: the env may be stricter, never looser or contradictory. The other way round,
nothing is pinned in an env that pyproject.toml does not know (a runtime dependency, an extra,
or `python` against requires-python), unless ENV_ONLY names it with the reason. A missing
package here is what makes `snakemake --software-deployment-method conda` fail on the first job
that imports it.

And every third-party module that `synthic/` imports is a dependency of the package, runtime or
a feature's extra (not `dev`, which is what the tests need), so `pip install synthic` brings what
its code needs; and nothing in `synthic/` imports the checkout's own `tests/` or `tools/`, which
are not installed (CHECKOUT_ONLY_IMPORTS names the one exception, with its reason).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
ENVS = sorted((ROOT / "envs").glob("*.yaml"))

# Env files that do not run the package (none yet): name -> reason.
NOT_FOR_THE_PACKAGE: dict[str, str] = {}

# Packages an env may list although pyproject.toml does not: name -> reason.
ENV_ONLY = {
    "pip": "conda's pip, which installs the env's pip: section",
}

# conda-forge names that differ from the package index's.
CONDA_TO_PYPI = {"pysoundfile": "soundfile"}

# Extras of the test suite, not of a feature: the package must not import what only they bring
# (librosa and mir_eval, the tests' audio metrics; hypothesis; pytest).
TEST_EXTRAS = {"dev"}

# Folders of the checkout that pyproject.toml does not install (packages.find: synthic*).
CHECKOUT_ONLY = {"tests", "tools"}

# (file, module) -> why that file may import a checkout-only module.
CHECKOUT_ONLY_IMPORTS = {
    ("synthic/jukebox/images.py", "tools"): "the developer command that rebuilds the committed "
    "driver images (python -m synthic.jukebox.images, from the checkout, with sdcc) imports "
    "tools.asm inside ImageSpec.build; nothing at run time calls it",
}

# Import names that differ from the distribution's name on the package index.
MODULE_TO_DIST = {"yaml": "pyyaml", "orbax": "orbax-checkpoint"}


# ---------------------------------------------------------------------------------------------
# Reading the two sides


def package_requirements(pyproject: Path) -> tuple[dict[str, SpecifierSet], dict, SpecifierSet]:
    """(runtime dependencies, {extra: dependencies}, requires-python), names normalised."""
    project = tomllib.loads(pyproject.read_text())["project"]

    def by_name(lines: list[str]) -> dict[str, SpecifierSet]:
        reqs = [Requirement(line) for line in lines]
        return {canonicalize_name(r.name): r.specifier for r in reqs}

    extras = {k: by_name(v) for k, v in project.get("optional-dependencies", {}).items()}
    python = SpecifierSet(project.get("requires-python", ""))
    return by_name(project["dependencies"]), extras, python


_CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


def conda_specifier(spec: str) -> SpecifierSet:
    """A conda match spec's version part as PEP 440: `=1.2` is 1.2.*, `1.2` too, `==1.2` exact;
    comparisons (`>=1.2,<2`) are the same in both; a build string (`=1.2=py311_0`) is dropped."""
    spec = spec.strip()
    if not spec:
        return SpecifierSet()
    parts = []
    for part in spec.split(","):
        part = part.strip()
        if part.startswith("==") or part[:1] in "<>!~":
            parts.append(part)
            continue
        version = part.lstrip("=").split("=")[0].strip()  # `=1.2=build` or `1.2 build`
        version = version.split()[0]
        parts.append(f"=={version}" if version.endswith("*") else f"=={version}.*")
    return SpecifierSet(",".join(parts))


def env_requirements(env: Path) -> dict[str, tuple[SpecifierSet, str]]:
    """{normalised PyPI name: (specifier, the line as written)} of a conda environment file."""
    doc = yaml.safe_load(env.read_text()) or {}
    found: dict[str, tuple[SpecifierSet, str]] = {}
    for entry in doc.get("dependencies", []):
        if isinstance(entry, dict):
            for line in entry.get("pip", []):
                line = line.strip()
                if line.startswith("-") or line.startswith((".", "/")):
                    continue  # pip options, the project itself by path
                req = Requirement(line)
                found[canonicalize_name(req.name)] = (req.specifier, line)
            continue
        match = _CONDA_SPEC.match(str(entry).split("::")[-1])
        name = match.group(1).lower()
        name = CONDA_TO_PYPI.get(name, name)
        found[canonicalize_name(name)] = (conda_specifier(match.group(2)), str(entry))
    return found


# ---------------------------------------------------------------------------------------------
# Comparing version ranges


def _candidates(*specifiers: SpecifierSet) -> list[Version]:
    """Versions at, just above and just below every bound named, plus a very low and a very
    high one: enough to tell whether one range lies inside another."""
    out = {Version("0"), Version("0.0.1"), Version("99999")}
    for specifier in specifiers:
        for s in specifier:
            try:
                release = Version(s.version.rstrip(".*")).release
            except InvalidVersion:
                continue
            for i in range(len(release)):
                for step in (-1, 0, 1):
                    bumped = list(release[: i + 1])
                    bumped[i] += step
                    if bumped[i] >= 0:
                        out.add(Version(".".join(map(str, bumped))))
                        out.add(Version(".".join(map(str, bumped + [99]))))
    return sorted(out)


def range_problem(name: str, env_spec: SpecifierSet, pkg_spec: SpecifierSet) -> str | None:
    """Why `env_spec` is not inside `pkg_spec`, or None if it is (checked on the candidates)."""
    candidates = _candidates(env_spec, pkg_spec)
    admitted = [v for v in candidates if env_spec.contains(v, prereleases=True)]
    if not admitted:
        return f"{name}{env_spec} admits no version"
    if not any(pkg_spec.contains(v, prereleases=True) for v in admitted):
        return f"{name}{env_spec} contradicts pyproject.toml's {name}{pkg_spec}"
    outside = [v for v in admitted if not pkg_spec.contains(v, prereleases=True)]
    if outside:
        return (
            f"{name}{env_spec or ' (unpinned)'} admits {outside[0]}, which pyproject.toml's "
            f"{name}{pkg_spec} refuses"
        )
    return None


def env_problems(env: Path, pyproject: Path = PYPROJECT) -> list[str]:
    """Every disagreement between one environment file and pyproject.toml, one line each."""
    runtime, extras, python = package_requirements(pyproject)
    known = dict(runtime)
    for deps in extras.values():
        for name, spec in deps.items():
            known.setdefault(name, spec)
    found = env_requirements(env)
    problems = []
    for name, spec in runtime.items():
        if name not in found:
            problems.append(f"{env.name}: lacks {name}{spec}, a runtime dependency")
        elif why := range_problem(name, found[name][0], spec):
            problems.append(f"{env.name}: {why}")
    for name, (spec, line) in found.items():
        if name == "python":
            if why := range_problem(name, spec, python):
                problems.append(f"{env.name}: {why} (requires-python)")
        elif name in ENV_ONLY:
            continue
        elif name not in known:
            problems.append(
                f"{env.name}: {line!r} is not a dependency in pyproject.toml "
                "(add it there, or to ENV_ONLY in tests/test_envs.py with the reason)"
            )
        elif name not in runtime and (why := range_problem(name, spec, known[name])):
            problems.append(f"{env.name}: {why}")
    return problems


# ---------------------------------------------------------------------------------------------
# The checks


def test_there_are_environment_files():
    assert ENVS, "no envs/*.yaml"


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_environment_agrees_with_pyproject(env):
    if env.name in NOT_FOR_THE_PACKAGE:
        pytest.skip(NOT_FOR_THE_PACKAGE[env.name])
    assert env_problems(env) == []


BROKEN_ENV = """\
channels: [conda-forge]
dependencies:
  - python=3.10
  - numpy<1.20
  - pysoundfile>=0.12
  - requests>=2
  - pip
  - pip:
      - jax>=0.10.2
      - Orbax_Checkpoint>=0.12.8
"""


def test_a_broken_environment_is_caught(tmp_path):
    """The check can fail: a copy that lacks packages, contradicts a bound, pins an unknown
    package and an old Python is reported line by line; names match however they are spelt."""
    env = tmp_path / "broken.yaml"
    env.write_text(BROKEN_ENV)
    problems = "\n".join(env_problems(env))
    assert "python==3.10.* contradicts" in problems and "requires-python" in problems
    assert "numpy<1.20 contradicts pyproject.toml's numpy>=1.26" in problems
    assert "'requests>=2' is not a dependency" in problems
    for missing in ("music21", "mido", "flax", "pandas"):
        assert f"lacks {missing}" in problems
    for present in ("soundfile", "jax", "orbax-checkpoint", "'pip'"):
        assert present not in problems


def test_each_real_environment_fails_when_a_dependency_is_removed(tmp_path):
    for env in ENVS:
        if env.name in NOT_FOR_THE_PACKAGE:
            continue
        text = env.read_text()
        broken = tmp_path / env.name
        broken.write_text(re.sub(r"(?m)^\s*- music21.*\n", "", text))
        assert any("lacks music21" in p for p in env_problems(broken)), env.name


@pytest.mark.parametrize(
    "env_spec, pkg_spec, verdict",
    [
        (">=1.26", ">=1.26", None),
        (">=1.27,<3", ">=1.26", None),  # stricter is fine
        ("==1.26.*", ">=1.26", None),
        (">=1.20", ">=1.26", "admits 1.20"),  # looser at the bottom
        ("", ">=1.26", "admits 0"),  # unpinned: could solve to anything
        ("<1.20", ">=1.26", "contradicts"),
        ("==3.11.*", ">=3.11", None),
        ("==3.10.*", ">=3.11", "contradicts"),
    ],
)
def test_range_problem(env_spec, pkg_spec, verdict):
    why = range_problem("x", SpecifierSet(env_spec), SpecifierSet(pkg_spec))
    assert (why is None) if verdict is None else (verdict in why), why


def test_conda_specifier():
    assert conda_specifier("=3.11") == SpecifierSet("==3.11.*")
    assert conda_specifier("3.11.*") == SpecifierSet("==3.11.*")
    assert conda_specifier("=1.26.4=py311h_0") == SpecifierSet("==1.26.4.*")
    assert conda_specifier(">=1.26,<3") == SpecifierSet(">=1.26,<3")
    assert conda_specifier("") == SpecifierSet()


# ---------------------------------------------------------------------------------------------
# What the package imports


def third_party_imports(package: Path) -> dict[str, set[str]]:
    """{top-level module: files importing it} over every import in the package (also those
    inside functions), leaving out the standard library and the package itself."""
    found: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != package.name:
                    found.setdefault(top, set()).add(str(path.relative_to(package.parent)))
    return found


def test_the_package_declares_what_it_imports():
    runtime, extras, _ = package_requirements(PYPROJECT)
    features = [names for extra, names in extras.items() if extra not in TEST_EXTRAS]
    declared = set(runtime).union(*features)
    undeclared = {
        module: sorted(files)
        for module, files in third_party_imports(ROOT / "synthic").items()
        if module not in CHECKOUT_ONLY
        and canonicalize_name(MODULE_TO_DIST.get(module, module)) not in declared
    }
    assert undeclared == {}, (
        "imported but not in pyproject.toml's dependencies or a feature's extra (the dev extra "
        "is the tests')"
    )


def test_the_package_imports_no_test_code():
    """The reference players, audio metrics, CPU test harness (tests/) and the code generators
    and sdcc driver (tools/) stay out of the installed package; so do their libraries."""
    imports = third_party_imports(ROOT / "synthic")
    found = {
        (file, module)
        for module in CHECKOUT_ONLY
        for file in imports.get(module, ())
        if (file, module) not in CHECKOUT_ONLY_IMPORTS
    }
    assert found == set()
    assert not {"librosa", "mir_eval"} & set(imports)
    stale = {key for key in CHECKOUT_ONLY_IMPORTS if key[0] not in imports.get(key[1], ())}
    assert stale == set(), "an exception that no longer applies: remove it"
