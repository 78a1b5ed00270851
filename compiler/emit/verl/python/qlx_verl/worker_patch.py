"""Imported in every FSDP worker through `actor_rollout_ref.model.external_lib=qlx_verl.worker_patch`.

verl v0.4.0's dp_actor does `from verl.trainer.ppo.core_algos import compute_policy_loss`, so the
policy loss is replaced on the dp_actor module (patching core_algos would not reach it). The
replacement (loss.verl_policy_loss) reads the keep mask that negative-gradient clipping and AEPO
leave in the advantages (masks.py) and aggregates over kept tokens only, like the runtime.
"""

from __future__ import annotations


def install() -> bool:
    """Patches verl's actor; False when verl is not importable (e.g. in tests)."""
    try:
        from verl.workers.actor import dp_actor
    except ImportError:
        return False
    from .loss import verl_policy_loss

    dp_actor.compute_policy_loss = verl_policy_loss
    return True


INSTALLED = install()
