"""The stand-in verl the Python unit tests plug qlx_verl into (shared by test_qlx_verl.py and
test_memory_agent.py): the version-name table pointing at `fakeverl.*` modules, the bundle
config written where qlx_verl.settings reads it, and the stand-in modules registered in
sys.modules as verl's trainer and tracking modules would be."""

import json
import os
import sys
import tempfile
import types

# config.json's `verl_names` (compiler/emit/verl/keys.ts), with the modules of this stand-in.
VERL_NAMES = {
    "trainerModule": "fakeverl.trainer",
    "trainerClass": "RayPPOTrainer",
    "advantageFunction": "compute_advantage",
    "trackingModule": "fakeverl.tracking",
    "trackingClass": "Tracking",
    "rolloutTokenEntropyKey": "entropys",
    "dataProtoClass": "DataProto",
}


def write_config(config, settings):
    """Writes the bundle config to a temporary file and points qlx_verl.settings at it."""
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(config, f)
    os.environ["QLX_VERL_CONFIG"] = path
    settings.load.cache_clear()


def install(trainer_class, tracking_class, **trainer_attrs):
    """Registers fakeverl.trainer (the trainer class and `trainer_attrs`, e.g. compute_advantage)
    and fakeverl.tracking in sys.modules; returns the trainer module."""
    trainer_mod = types.ModuleType("fakeverl.trainer")
    tracking_mod = types.ModuleType("fakeverl.tracking")
    trainer_mod.RayPPOTrainer = trainer_class
    for name, value in trainer_attrs.items():
        setattr(trainer_mod, name, value)
    tracking_mod.Tracking = tracking_class
    sys.modules.update({"fakeverl": types.ModuleType("fakeverl"), "fakeverl.trainer": trainer_mod, "fakeverl.tracking": tracking_mod})
    return trainer_mod
