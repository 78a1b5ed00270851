"""The experiment's constants, written by the compiler into `config.json` beside this package.

`QLX_VERL_CONFIG` (a path) overrides the location, e.g. for tests.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, Dict

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@lru_cache(maxsize=None)
def load(path: str = "") -> Dict[str, Any]:
    path = path or os.environ.get("QLX_VERL_CONFIG") or os.path.join(PACKAGE_DIR, "config.json")
    with open(path) as f:
        return json.load(f)


def stage(name: str) -> Dict[str, Any]:
    stages = load()["stages"]
    if name not in stages:
        raise KeyError(f"qlx_verl: no stage {name!r} in config.json (stages: {', '.join(stages)})")
    return stages[name]


def verl_name(key: str) -> str:
    """A version-specific verl name (metric, module path) from compiler/emit/verl/keys.ts."""
    return load()["verl_names"][key]
