"""Keep numba's on-disk cache honest for the emulator's modules.

numba (`cache=True`) checks only the file that defines a function: when `bus.py` changes, the
cached `sm83.run` that inlined the old `read_slow` would still load. So each module that defines
jitted functions ends with `flush_if_sources_changed(__name__)`: it hashes its own source and
that of every module of the package it imports (found by reading the import statements), and
when the hash differs from the one stamped for that module in its cache folder, flushes the
module's cached functions (numba's `Cache.flush`, which empties the index); they recompile at
first use. Other modules of the package (the cartridge header...) do not count. The sound chip
(synthic.apu), whose numba functions the bus calls, counts whole: a change to any of its files
flushes the emulator modules that import it.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from pathlib import Path
from types import ModuleType

import numba
from numba.core.dispatcher import Dispatcher

from synthic.numba_cache import NRT, flush_when_changed

STAMP_SUFFIX = "sources.sha256"
# Packages outside synthic.gb whose numba code ours calls (and numba links into ours): a change to
# any of their files flushes the modules that import them.
EXTERNAL_PACKAGES = ("synthic.apu",)


def sibling_imports(path: Path, package: str) -> set[str]:
    """Names of the modules of `package` that the source file at path imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == package:  # from synthic.gb import bus
                found.update(alias.name for alias in node.names)
            elif node.module.startswith(package + "."):  # from synthic.gb.bus import ...
                found.add(node.module[len(package) + 1 :].split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package + "."):
                    found.add(alias.name[len(package) + 1 :].split(".")[0])
    return found


def source_files(path: Path, package: str) -> list[Path]:
    """path and every module of its package it imports, directly or not, plus every module of
    the other numba packages it imports (EXTERNAL_PACKAGES, whole)."""
    seen: dict[str, Path] = {}
    todo = [path]
    while todo:
        current = todo.pop()
        if current.name in seen:
            continue
        seen[current.name] = current
        for name in sibling_imports(current, package):
            sibling = path.with_name(name + ".py")
            if sibling.is_file():
                todo.append(sibling)
    files = [seen[name] for name in sorted(seen)]
    root = path.parent.parent  # the folder holding the package's siblings (synthic/)
    for external in EXTERNAL_PACKAGES:
        short = external.rpartition(".")[2]
        if any(imports_package(f, external) for f in files):
            files += sorted((root / short).glob("*.py"))
    return files


def imports_package(path: Path, package: str) -> bool:
    """Whether the source file at path imports `package` or one of its modules."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == package or node.module.startswith(package + "."):
                return True
        elif isinstance(node, ast.Import):
            if any(a.name == package or a.name.startswith(package + ".") for a in node.names):
                return True
    return False


def source_fingerprint(files: list[Path]) -> str:
    """SHA-256 of the files (names and contents), numba's version and the reference-count
    switch (synthic.numba_cache.NRT)."""
    digest = hashlib.sha256(f"{numba.__version__} nrt={NRT}".encode())
    for path in files:
        name = f"{path.parent.name}/{path.name}"
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def dispatchers(module: ModuleType) -> list[Dispatcher]:
    """The numba functions defined (not merely imported) in module, with an on-disk cache."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, Dispatcher)
        and value.py_func.__module__ == module.__name__
        and getattr(getattr(value, "_cache", None), "cache_path", None) is not None
    ]


def flush_if_sources_changed(module_name: str) -> int:
    """Flush the cached numba functions of a module when its source, or the source of a module
    of its package that it imports (directly or not), changed since the module's stamp. Call it
    at the end of each module that defines jitted functions: they compile or load lazily, at
    first call, so this comes first. Returns how many functions were flushed; a read-only cache
    folder is left alone."""
    module = sys.modules[module_name]
    jitted = dispatchers(module)
    if not jitted:
        return 0
    package = module_name.rpartition(".")[0]
    fingerprint = source_fingerprint(source_files(Path(module.__file__), package))
    stamp = os.path.join(jitted[0]._cache.cache_path, f"{module_name}.{STAMP_SUFFIX}")
    return flush_when_changed(jitted, stamp, fingerprint)
