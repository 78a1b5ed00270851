"""Imported in every FSDP worker through `actor_rollout_ref.model.external_lib=qlx_verl.worker_patch`.

verl v0.4.0's dp_actor does `from verl.trainer.ppo.core_algos import compute_policy_loss`, so the
policy loss is replaced on the dp_actor module (patching core_algos would not reach it). The
replacement (loss.verl_policy_loss) reads the keep mask that negative-gradient clipping and AEPO
leave in the advantages (masks.py) and aggregates over kept tokens only, like the runtime.

Two hooks serve the memory agent (agent_rollout.py), and do nothing for a batch without their key:
  - the vLLM rollout applies `meta_info["qlx_sampling"]` (n = 1, max_tokens of the step) around
    verl's own generate_sequences, whose `update_sampling_params(**kwargs)` context then sets its own
    keys (greedy or validation settings) inside ours;
  - the actor's update_policy takes its mini-batch size in rows from `meta_info["qlx_mini_batch_rows"]`,
    so a batch of K + 1 rows per trajectory still makes `train_batch_size / ppo_mini_batch_size`
    updates per epoch.
"""

from __future__ import annotations

from .agent_rollout import MINI_BATCH_KEY, SAMPLING_KEY


def with_sampling_overrides(generate_sequences):
    def generate(self, prompts, **kwargs):
        overrides = prompts.meta_info.get(SAMPLING_KEY)
        if not overrides:
            return generate_sequences(self, prompts, **kwargs)
        with self.update_sampling_params(**overrides):
            return generate_sequences(self, prompts, **kwargs)

    return generate


def with_mini_batch_rows(update_policy):
    def update(self, data):
        rows = data.meta_info.get(MINI_BATCH_KEY)
        if rows is None:
            return update_policy(self, data)
        saved = self.config.ppo_mini_batch_size
        self.config.ppo_mini_batch_size = int(rows)
        try:
            return update_policy(self, data)
        finally:
            self.config.ppo_mini_batch_size = saved

    return update


def install() -> bool:
    """Patches verl's actor (and vLLM rollout, where vLLM is installed); False when verl is not importable (e.g. in tests)."""
    try:
        from verl.workers.actor import dp_actor
    except ImportError:
        return False
    from .loss import verl_policy_loss

    dp_actor.compute_policy_loss = verl_policy_loss
    actor = dp_actor.DataParallelPPOActor
    actor.update_policy = with_mini_batch_rows(actor.update_policy)
    try:
        from verl.workers.rollout.vllm_rollout import vllm_rollout_spmd
    except ImportError:
        return True
    rollout = vllm_rollout_spmd.vLLMRollout
    rollout.generate_sequences = with_sampling_overrides(rollout.generate_sequences)
    return True


INSTALLED = install()
