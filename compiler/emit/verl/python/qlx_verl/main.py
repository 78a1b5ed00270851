"""Entry point of one stage: `python3 -m qlx_verl.main +qlx.stage=NAME key=value ...`.

The same Hydra config and overrides as `python3 -m verl.trainer.main_ppo` (verl's own
ppo_trainer.yaml, found in the installed verl package), with verl's TaskRunner.run copied (as
recipe/dapo/main_dapo.py does) to build `QlxRayTrainer` instead of `RayPPOTrainer`. Apache-2.0
code of verl v0.4.0 (verl/trainer/main_ppo.py L47-160), reduced to the FSDP strategy.
"""

from __future__ import annotations

import importlib
import os

from . import settings


def _config_dir() -> str:
    names = settings.load()["verl_names"]
    package = importlib.import_module(names["configPackage"])
    return os.path.join(os.path.dirname(package.__file__), "config")


def run_stage(config) -> None:
    import ray

    if not ray.is_initialized():
        # The bundle is every Ray process's working directory, on every node: qlx_verl imports in
        # the workers (external_lib) and relative paths such as the reward file resolve.
        ray.init(
            runtime_env={
                "working_dir": os.path.dirname(settings.PACKAGE_DIR),
                "excludes": ["data/", "checkpoints/", ".git/"],
                "env_vars": {"TOKENIZERS_PARALLELISM": "true", "NCCL_DEBUG": "WARN", "VLLM_LOGGING_LEVEL": "WARN"},
            },
            num_cpus=config.ray_init.num_cpus,
        )
    runner = ray.remote(num_cpus=1)(TaskRunner).remote()
    ray.get(runner.run.remote(config))


class TaskRunner:
    def run(self, config):
        from omegaconf import OmegaConf

        from verl.trainer.main_ppo import create_rl_dataset
        from verl.trainer.ppo.ray_trainer import ResourcePoolManager, Role
        from verl.trainer.ppo.reward import load_reward_manager
        from verl.utils import hf_processor, hf_tokenizer
        from verl.utils.dataset.rl_dataset import collate_fn
        from verl.utils.fs import copy_to_local

        import ray

        OmegaConf.resolve(config)
        if config.actor_rollout_ref.actor.strategy not in ("fsdp", "fsdp2"):
            raise ValueError(f"qlx_verl: actor strategy {config.actor_rollout_ref.actor.strategy!r} is not supported (fsdp, fsdp2)")
        from verl.single_controller.ray import RayWorkerGroup
        from verl.workers.fsdp_workers import ActorRolloutRefWorker, AsyncActorRolloutRefWorker

        local_path = copy_to_local(config.actor_rollout_ref.model.path, use_shm=config.actor_rollout_ref.model.get("use_shm", False))
        trust_remote_code = config.data.get("trust_remote_code", False)
        tokenizer = hf_tokenizer(local_path, trust_remote_code=trust_remote_code)
        processor = hf_processor(local_path, trust_remote_code=trust_remote_code, use_fast=True)

        actor_rollout_cls = AsyncActorRolloutRefWorker if config.actor_rollout_ref.rollout.mode == "async" else ActorRolloutRefWorker
        role_worker_mapping = {Role.ActorRollout: ray.remote(actor_rollout_cls)}
        pool = "global_pool"
        mapping = {Role.ActorRollout: pool}
        if config.algorithm.use_kl_in_reward or config.actor_rollout_ref.actor.use_kl_loss:
            role_worker_mapping[Role.RefPolicy] = ray.remote(ActorRolloutRefWorker)
            mapping[Role.RefPolicy] = pool
        resource_pool_manager = ResourcePoolManager(resource_pool_spec={pool: [config.trainer.n_gpus_per_node] * config.trainer.nnodes}, mapping=mapping)

        reward_fn = load_reward_manager(config, tokenizer, num_examine=0)
        val_reward_fn = load_reward_manager(config, tokenizer, num_examine=1)
        train_dataset = create_rl_dataset(config.data.train_files, config.data, tokenizer, processor)
        val_dataset = create_rl_dataset(config.data.val_files, config.data, tokenizer, processor)

        from .trainer import make_trainer_class

        trainer = make_trainer_class()(
            config=config,
            tokenizer=tokenizer,
            processor=processor,
            role_worker_mapping=role_worker_mapping,
            resource_pool_manager=resource_pool_manager,
            ray_worker_group_cls=RayWorkerGroup,
            reward_fn=reward_fn,
            val_reward_fn=val_reward_fn,
            train_dataset=train_dataset,
            val_dataset=val_dataset,
            collate_fn=collate_fn,
            train_sampler=None,
            device_name=config.trainer.device,
            qlx_stage=config.qlx.stage,
        )
        trainer.init_workers()
        trainer.fit()


def main() -> None:
    import hydra

    names = settings.load()["verl_names"]
    hydra.main(config_path=_config_dir(), config_name=names["configName"], version_base=None)(run_stage)()


if __name__ == "__main__":
    main()
