"""Unit tests of the qlx_verl package on CPU, without verl (run by test/verl/python-package.test.ts).

verl's integration points are exercised against small stand-ins that mimic the v0.4.0 contract
(a trainer whose fit() calls its module's compute_advantage and imports Tracking from
verl.utils.tracking; a DataProto-like batch), so the hook mechanics are tested, not assumed.
"""

import json
import os
import sys
import tempfile
import types
import unittest
import urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

import torch  # noqa: E402

from qlx_verl import judge, masks, retrospective, settings  # noqa: E402
from qlx_verl.sampler import TaskBalancedSampler  # noqa: E402

STAGE = {
    "name": "s1",
    "nodes": [
        {"kind": "dataset", "tasks": ["mc", "qa"]},
        {"kind": "sampler", "op": "task_balanced", "batch": 5, "over": ["mc", "qa"], "share": 2, "remainder": 1},
        {"kind": "rollout", "group": 2, "max_output": 3, "agent": None},
        {"kind": "advantage", "op": "grpo", "std": "task_batch", "eps": 1e-6},
        {"kind": "mask", "op": "negative_gradient", "level": "sequence", "entropy": {"op": ">", "value": 0.5}},
        {"kind": "control", "op": "aepo", "low": 0.3, "high": 0.5},
    ],
}
CONFIG = {
    "seed": 7,
    "verl_names": {
        "trainerModule": "fakeverl.trainer",
        "trainerClass": "RayPPOTrainer",
        "advantageFunction": "compute_advantage",
        "trackingModule": "fakeverl.tracking",
        "trackingClass": "Tracking",
        "rolloutTokenEntropyKey": "entropys",
    },
    "tasks": {
        "mc": {"reward": {"op": "choice_accuracy"}},
        "qa": {"reward": {"op": "fallback", "of": [{"op": "contains"}, {"op": "judge"}]}},
        "num": {"reward": {"op": "numeric_match", "rel_tol": 1e-4, "abs_tol": 0}},
    },
    "judge": {"endpoint": "http://judge.invalid/v1", "model": "m", "prompt": "Q {question} P {predicted} G {gold}", "timeout_s": 1, "retries": 2},
    "stages": {"s1": STAGE},
}


def setUpModule():
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(CONFIG, f)
    os.environ["QLX_VERL_CONFIG"] = path
    settings.load.cache_clear()


class SamplerTest(unittest.TestCase):
    def make(self, seed=1, tasks=("mc", "qa", "zz")):
        rows = ["mc"] * 7 + ["qa"] * 3 + ["other"] * 4 + ["zz"] * 4
        return TaskBalancedSampler(rows, list(tasks), 1, 2, seed)

    def test_every_task_gets_its_share_and_the_remainder_rotates(self):
        s = self.make()
        self.assertEqual(s.batch_size, 5)
        task_of = {**{i: "mc" for i in range(7)}, **{i: "qa" for i in range(7, 10)}, **{i: "zz" for i in range(14, 18)}}
        counts = []
        for b in range(3):
            batch = s.batch(b)
            counts.append({t: sum(1 for i in batch if task_of[i] == t) for t in ("mc", "qa", "zz")})
        # As runtime/rl/samplers/taskBalanced.ts: extras to positions (b*2 + j) mod 3 of the task list.
        self.assertEqual(counts, [{"mc": 2, "qa": 2, "zz": 1}, {"mc": 2, "qa": 1, "zz": 2}, {"mc": 1, "qa": 2, "zz": 2}])
        self.assertEqual(counts, [s.shares(b) for b in range(3)])
        # The list's order, not the names, drives the rotation.
        self.assertEqual(self.make(tasks=("zz", "mc", "qa")).shares(0), {"zz": 2, "mc": 2, "qa": 1})

    def test_a_short_task_reshuffles_instead_of_shrinking_the_batch(self):
        s = self.make()
        # qa (3 rows) takes 2 + 1 + 2 prompts in batches 0-2: the first two batches use each of
        # its rows once, and batch 2 starts a fresh shuffle, so it still gets its 2 prompts.
        first_two = [i for b in (0, 1) for i in s.batch(b) if 7 <= i < 10]
        self.assertEqual(sorted(first_two), [7, 8, 9])
        self.assertEqual(len([i for i in s.batch(2) if 7 <= i < 10]), 2)

    def test_deterministic_and_resumable(self):
        a, b = self.make(), self.make()
        first = list(iter(a))
        self.assertEqual(len(first), len(a))
        self.assertEqual(first, list(iter(b)))
        self.assertNotEqual(first, list(iter(self.make(seed=2))))
        c = self.make()
        c.load_state_dict({"next_batch": 1})
        self.assertEqual(list(iter(c)), first[5:])
        self.assertEqual(c.state_dict(), {"next_batch": 3})

    def test_from_ir_checks_the_batch(self):
        from qlx_verl.sampler import from_ir

        node = {"over": ["mc", "qa"], "share": 2, "remainder": 1, "batch": 6}
        with self.assertRaisesRegex(ValueError, "not the batch 6"):
            from_ir(node, ["mc"] * 5 + ["qa"] * 5, 0)
        with self.assertRaisesRegex(ValueError, "'qa' has 1 rows"):
            TaskBalancedSampler(["mc"] * 5 + ["qa"], ["mc", "qa"], 2, 1, 0)


class KeepChannelTest(unittest.TestCase):
    def test_masked_tokens_round_trip_through_the_advantages(self):
        adv = torch.tensor([[0.5, -0.0, 0.0, -1.0], [0.0, 2.0, -3.0, 1.0]])
        keep = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 1.0]])
        carried = masks.encode_keep(adv, keep)
        decoded, values = masks.decode_keep(carried)
        self.assertTrue(torch.equal(decoded, keep))
        self.assertTrue(torch.equal(values * keep, adv * keep))
        # Through bfloat16 and back, as a mixed-precision worker may do.
        decoded16, _ = masks.decode_keep(carried.to(torch.bfloat16).to(torch.float32))
        self.assertTrue(torch.equal(decoded16, keep))


class FakeProto:
    def __init__(self, batch, non_tensor):
        self.batch = batch
        self.non_tensor_batch = non_tensor


def fake_batch():
    # Two prompts of task mc (groups a, b) and one of qa (group c), 2 responses each, T = 3.
    scores = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    rewards = torch.zeros(6, 3)
    for i, s in enumerate(scores):
        rewards[i, 1] = s
    mask = torch.tensor([[1, 1, 0]] * 6, dtype=torch.int64)
    ent = torch.tensor([[0.9, 0.9, 0.0], [0.9, 0.9, 0.0], [0.1, 0.1, 0.0], [0.1, 0.1, 0.0], [0.1, 0.2, 0.0], [0.1, 0.2, 0.0]])
    import numpy as np

    return FakeProto(
        {"token_level_rewards": rewards, "token_level_scores": rewards.clone(), "response_mask": mask, "qlx_entropys": ent},
        {"uid": np.array(list("aabbcc"), dtype=object), "data_source": np.array(["mc"] * 4 + ["qa"] * 2, dtype=object), "index": np.array([10, 10, 11, 11, 12, 12])},
    )


class AdvantageStepTest(unittest.TestCase):
    def test_task_batch_std_clipping_and_aepo_reach_the_advantages(self):
        from qlx_verl.aepo import AepoController
        from qlx_verl.trainer import qlx_advantage_step

        ctl = AepoController(0.3, 0.5)
        data, metrics = qlx_advantage_step(fake_batch(), STAGE, ctl, 1, "data_source")
        keep, adv = masks.decode_keep(data.batch["advantages"])
        # Response 1 (A < 0, mean entropy 0.9 > 0.5) is clipped at sequence level (Eq. 9); response
        # 4 (A < 0, mean entropy 0.15) is not. The batch entropy 2.3 / 6 = 0.383 is inside
        # [0.3, 0.5], so AEPO keeps its initial state (negatives kept).
        self.assertEqual(keep[:, :2].tolist(), [[1, 1], [0, 0], [1, 1], [1, 1], [1, 1], [1, 1]])
        self.assertNotIn("qlx_entropys", data.batch)
        self.assertAlmostEqual(metrics["aepo/entropy"], (0.9 * 2 + 0.1 * 2 + 0.15 * 2) / 6)
        self.assertEqual(metrics["aepo/state"], 0.0)
        self.assertEqual(metrics["clip/masked_seq_frac"], 1 / 6)
        # Eq. 7: task mc's std over its 4 rewards [1, 0, 1, 1] (Bessel) = 0.5.
        self.assertAlmostEqual(float(adv[0, 0]), 0.5 / (0.5 + 1e-6), places=6)
        self.assertEqual(float(adv[2, 0]), 0.0)
        self.assertTrue(torch.equal(data.batch["returns"][:, 2], torch.zeros(6)))


class TrainerHookTest(unittest.TestCase):
    """QlxRayTrainer against a stand-in with verl v0.4.0's fit() contract."""

    def setUp(self):
        calls = {"logged": [], "adv_calls": 0}
        trainer_mod = types.ModuleType("fakeverl.trainer")
        tracking_mod = types.ModuleType("fakeverl.tracking")

        class Tracking:
            def __init__(self, **_kw):
                pass

            def log(self, data, step):
                calls["logged"].append((step, dict(data)))

        def compute_advantage(data, **_kw):
            raise AssertionError("verl's compute_advantage must be replaced during fit()")

        class WorkerGroup:
            world_size = 2

            def compute_log_prob(self, data):
                b = fake_batch()
                return FakeProto({"old_log_probs": torch.zeros(6, 3), "entropys": b.batch["qlx_entropys"]}, {})

        class RayPPOTrainer:
            def __init__(self, config=None, **_kw):
                self.config = config
                self.global_steps = 0

            def init_workers(self):
                self.actor_rollout_wg = WorkerGroup()

            def fit(self):
                # As ray_trainer.fit: import the logger at start, compute_log_prob pops entropys,
                # the module-global compute_advantage, then log the step's metrics.
                from fakeverl.tracking import Tracking as T

                logger = T(project_name="p")
                batch = fake_batch()
                del batch.batch["qlx_entropys"]
                out = self.actor_rollout_wg.compute_log_prob(batch)
                out.batch.pop("entropys")
                batch.batch.update(out.batch)
                batch = sys.modules["fakeverl.trainer"].compute_advantage(batch, adv_estimator="grpo")
                calls["adv_calls"] += 1
                self.global_steps = 1
                logger.log(data={"actor/entropy_loss": 0.4}, step=1)
                return batch

        trainer_mod.RayPPOTrainer = RayPPOTrainer
        trainer_mod.compute_advantage = compute_advantage
        tracking_mod.Tracking = Tracking
        pkg = types.ModuleType("fakeverl")
        sys.modules.update({"fakeverl": pkg, "fakeverl.trainer": trainer_mod, "fakeverl.tracking": tracking_mod})
        self.calls = calls
        self.tmp = tempfile.mkdtemp()

    def test_fit_runs_the_qlx_advantage_step_and_logs_its_metrics(self):
        from qlx_verl.trainer import make_trainer_class

        config = types.SimpleNamespace(
            data=types.SimpleNamespace(reward_fn_key="data_source", train_batch_size=5),
            trainer=types.SimpleNamespace(default_local_dir=self.tmp),
        )
        cls = make_trainer_class()
        t = cls(config=config, qlx_stage="s1")
        t.init_workers()
        batch = t.fit()
        self.assertEqual(self.calls["adv_calls"], 1)
        keep, _ = masks.decode_keep(batch.batch["advantages"])
        self.assertEqual(keep[1, :2].tolist(), [0, 0])
        step, logged = self.calls["logged"][0]
        self.assertEqual(logged["actor/entropy_loss"], 0.4)
        self.assertIn("adv/mean/mc", logged)
        self.assertIn("aepo/state", logged)
        # The module globals are restored after fit().
        self.assertEqual(sys.modules["fakeverl.tracking"].Tracking.__name__, "Tracking")
        with self.assertRaises(AssertionError):
            sys.modules["fakeverl.trainer"].compute_advantage(None)
        with open(os.path.join(self.tmp, "qlx_scores.jsonl")) as f:
            rates = retrospective.pass_rates(f)
        self.assertEqual(rates, {10: 0.5, 11: 1.0, 12: 0.5})


class FakeDataProto:
    """The part of verl.protocol.DataProto (v0.4.0) the memory agent uses: row selection, concat,
    pop, union, repeat -- on a dict of tensors and a dict of numpy arrays, like the real one."""

    def __init__(self, batch=None, non_tensor_batch=None, meta_info=None):
        self.batch = batch if batch is not None else {}
        self.non_tensor_batch = non_tensor_batch if non_tensor_batch is not None else {}
        self.meta_info = meta_info if meta_info is not None else {}
        self._n = None

    def __len__(self):
        for v in list(self.batch.values()) + list(self.non_tensor_batch.values()):
            return len(v)
        return self._n or 0

    @classmethod
    def from_single_dict(cls, data):
        import numpy as np

        return cls({k: v for k, v in data.items() if isinstance(v, torch.Tensor)}, {k: v for k, v in data.items() if isinstance(v, np.ndarray)})

    def select_idxs(self, idxs):
        import numpy as np

        idx = np.asarray(idxs, dtype=np.int64)
        out = type(self)({k: v[torch.from_numpy(idx)] for k, v in self.batch.items()}, {k: v[idx] for k, v in self.non_tensor_batch.items()}, self.meta_info)
        out._n = len(idx)
        return out

    def __getitem__(self, item):
        return self.select_idxs(list(range(len(self)))[item])

    @staticmethod
    def concat(protos):
        import numpy as np

        first = protos[0]
        return type(first)(
            {k: torch.cat([p.batch[k] for p in protos]) for k in first.batch},
            {k: np.concatenate([p.non_tensor_batch[k] for p in protos]) for k in first.non_tensor_batch},
            first.meta_info,
        )

    def pop(self, batch_keys=None, non_tensor_batch_keys=None, meta_info_keys=None):
        out = FakeDataProto({k: self.batch.pop(k) for k in batch_keys or []}, {k: self.non_tensor_batch.pop(k) for k in non_tensor_batch_keys or []})
        self._n = len(out)
        return out

    def repeat(self, repeat_times=2, interleave=True):
        import numpy as np

        return self.select_idxs(np.repeat(np.arange(len(self)), repeat_times))

    def union(self, other):
        assert len(self) == len(other), f"union of {len(self)} and {len(other)} rows"
        self.batch.update(other.batch)
        self.non_tensor_batch.update(other.non_tensor_batch)
        self.meta_info.update(other.meta_info)
        return self


def fake_protocol_module():
    mod = types.ModuleType("verl.protocol")
    mod.DataProto = FakeDataProto

    def pad_dataproto_to_divisor(data, size_divisor):
        pad = (-len(data)) % size_divisor
        return (FakeDataProto.concat([data, data[: pad]]) if pad else data), pad

    mod.pad_dataproto_to_divisor = pad_dataproto_to_divisor
    mod.unpad_dataproto = lambda data, pad_size: data[: len(data) - pad_size] if pad_size else data
    return mod


AGENT_TEMPLATE = {
    "plan": False,
    "stepHead": ["Q:", {"slot": "core"}, " M:", {"slot": "memory"}, " S:"],
    "stepTail": [" end"],
    "answer": ["Q:", {"slot": "core"}, " M:", {"slot": "memory"}, " ", {"slot": "inst"}, " A:"],
    "answerNoInst": ["Q:", {"slot": "core"}, " M:", {"slot": "memory"}, " A:"],
    "markers": {"memoryOpen": "<m>", "memoryClose": "</m>", "planOpen": "<p>", "planClose": "</p>"},
}


class MemoryAgentVerlTest(unittest.TestCase):
    """MemoryAgentRollout and AgentBatch on a stand-in for verl's protocol and rollout worker group."""

    def setUp(self):
        self.saved = {k: sys.modules.get(k) for k in ("verl", "verl.protocol")}
        sys.modules["verl"] = types.ModuleType("verl")
        sys.modules["verl.protocol"] = fake_protocol_module()
        self.calls = []

    def tearDown(self):
        for k, v in self.saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v

    def worker_group(self):
        """A rollout that writes `<m>` + the last 3 capital letters of the prompt + `</m>` and EOS (9)."""
        calls = self.calls

        def generate_sequences(proto):
            calls.append({"rows": len(proto), "meta": dict(proto.meta_info), "width": proto.batch["input_ids"].shape[1]})
            r = 12
            responses = torch.zeros(len(proto), r, dtype=torch.int64)
            att = torch.zeros(len(proto), r, dtype=torch.int64)
            for i, ids in enumerate(proto.non_tensor_batch["raw_prompt_ids"]):
                caps = [t for t in ids if 65 <= t <= 90][-3:]
                out = (list(b"<m>") + caps + list(b"</m>") + [9])[: proto.meta_info["qlx_sampling"]["max_tokens"]]
                responses[i, : len(out)] = torch.tensor(out)
                att[i, : len(out)] = 1
            return FakeDataProto({"responses": responses, "prompts": proto.batch["input_ids"], "attention_mask": torch.cat([proto.batch["attention_mask"], att], -1)})

        return generate_sequences

    def rollout(self, world_size=4):
        from qlx_verl.agent_rollout import MemoryAgentRollout
        from qlx_verl.memory_agent import AgentSettings, AgentTemplate, PromptCodec

        codec = PromptCodec(lambda t: list(t.encode()), lambda ids: bytes(i for i in ids if i < 128).decode(), prefix_ids=[1])
        settings = AgentSettings(chunk=4, memory=10, max_chunks=0, max_output=12)
        return MemoryAgentRollout(self.worker_group(), world_size, codec, AgentTemplate(AGENT_TEMPLATE), settings, group=2, max_prompt_length=40, pad_token_id=0)

    def prompt_batch(self):
        import numpy as np

        infos = [
            {"id": "a", "agent_core": "q1", "agent_inst": "", "agent_context": "ABCDEFGH"},
            {"id": "b", "agent_core": "q2", "agent_inst": "be brief", "agent_context": "XYZ"},
        ]
        from qlx_verl.agent_rollout import make_agent_batch_class

        cls = make_agent_batch_class(FakeDataProto)
        return cls.from_single_dict(
            {
                "input_ids": torch.zeros(2, 3, dtype=torch.int64),
                "extra_info": np.array(infos, dtype=object),
                "data_source": np.array(["qa", "qa"], dtype=object),
                "index": np.array([5, 6]),
            }
        )

    def test_training_rollout_rows_follow_fit(self):
        import numpy as np

        from qlx_verl.agent_rollout import FINAL, PAD, READING_STEP_KEY, STEP, TRAJ

        rollout = self.rollout()
        batch = self.prompt_batch()
        # As fit(): pop the generation inputs, generate, set uid, repeat by n, union.
        gen_batch = batch.pop(batch_keys=["input_ids"])
        out = rollout.generate(gen_batch)
        batch.non_tensor_batch["uid"] = np.array(["u0", "u1"], dtype=object)
        batch = batch.repeat(repeat_times=2, interleave=True)
        batch = batch.union(out)
        # Document a: 2 chunks, b: 1 chunk; 2 trajectories each -> 3 calls (K + 1, K = 2).
        self.assertEqual([c["rows"] for c in self.calls], [4, 4, 4])  # 4, 2 -> padded to 4, 4
        self.assertEqual([c["meta"]["qlx_sampling"] for c in self.calls], [{"n": 1, "max_tokens": 10}] * 2 + [{"n": 1, "max_tokens": 12}])
        self.assertEqual({c["width"] for c in self.calls}, {40})
        # Rows: trajectory-major steps (3 + 3 + 2 + 2 = 10), padded to 12 for world size 4.
        self.assertEqual(len(batch), 12)
        self.assertEqual(list(batch.non_tensor_batch[TRAJ][:10]), [0, 0, 0, 1, 1, 1, 2, 2, 3, 3])
        self.assertEqual(list(batch.non_tensor_batch[STEP][:10]), [0, 1, 2, 0, 1, 2, 0, 1, 0, 1])
        self.assertEqual(list(batch.non_tensor_batch[FINAL]), [False, False, True] * 2 + [False, True] * 2 + [False, False])
        self.assertEqual(list(batch.non_tensor_batch[PAD]), [False] * 10 + [True] * 2)
        self.assertEqual(list(batch.non_tensor_batch["uid"][:10]), ["u0"] * 6 + ["u1"] * 4)
        self.assertEqual([i[READING_STEP_KEY] for i in batch.non_tensor_batch["extra_info"]], [True, True, False] * 2 + [True, False] * 2 + [True, True])
        # The answer row of trajectory 0 answers from the memory the reading steps wrote.
        answer_prompt = bytes(t for t in batch.batch["prompts"][2].tolist() if t > 1).decode()
        self.assertEqual(answer_prompt, "Q:q1 M:FGH A:")
        self.assertEqual(rollout.last_metrics["agent/steps_mean"], 2.5)

    def test_validation_returns_one_answer_row_per_input_row(self):
        rollout = self.rollout(world_size=1)
        batch = self.prompt_batch()
        gen_batch = batch.pop(batch_keys=["input_ids"])
        gen_batch.meta_info = {"validate": True, "do_sample": True}
        out = rollout.generate(gen_batch)
        self.assertEqual(len(out), 2)
        self.assertNotIn("qlx_traj", out.non_tensor_batch)
        self.assertTrue(all(c["meta"]["validate"] for c in self.calls))
        answers = [bytes(t for t in row.tolist() if t > 1).decode() for row in out.batch["prompts"]]
        self.assertEqual(answers, ["Q:q1 M:FGH A:", "Q:q2 M:XYZ be brief A:"])

    def test_a_prompt_longer_than_the_limit_is_an_error_naming_the_step(self):
        rollout = self.rollout()
        rollout.max_prompt_length = 10
        gen_batch = self.prompt_batch().pop(batch_keys=["input_ids"])
        with self.assertRaisesRegex(ValueError, "read step 1 prompt 0 has 1[0-9] tokens"):
            rollout.generate(gen_batch)

    def test_reading_steps_are_not_scored(self):
        from qlx_verl import reward_fn

        got = reward_fn.compute_score("mc", "The answer is (B)", "B", {"choices": ["x", "y"], "qlx_reading_step": True})
        self.assertEqual(got, {"score": 0.0, "judged": 0.0, "judge_failed": 0.0})

    def test_worker_hooks_apply_the_step_sampling_and_mini_batch(self):
        from contextlib import contextmanager

        from qlx_verl import worker_patch
        from qlx_verl.agent_rollout import mini_batch_rows

        class Rollout:
            def __init__(self):
                self.params = {"n": 8, "max_tokens": 100, "temperature": 0.7}

            @contextmanager
            def update_sampling_params(self, **kw):
                saved = dict(self.params)
                self.params.update(kw)
                yield
                self.params = saved

            def generate_sequences(self, prompts, **kwargs):
                # verl's validation branch sets its own keys inside ours.
                with self.update_sampling_params(**({"temperature": 0.0, "n": 1} if prompts.meta_info.get("validate") else {})):
                    return dict(self.params)

        gen = worker_patch.with_sampling_overrides(Rollout.generate_sequences)
        r = Rollout()
        self.assertEqual(gen(r, FakeDataProto(meta_info={})), {"n": 8, "max_tokens": 100, "temperature": 0.7})
        self.assertEqual(gen(r, FakeDataProto(meta_info={"qlx_sampling": {"n": 1, "max_tokens": 10}})), {"n": 1, "max_tokens": 10, "temperature": 0.7})
        self.assertEqual(gen(r, FakeDataProto(meta_info={"validate": True, "qlx_sampling": {"n": 1, "max_tokens": 10}})), {"n": 1, "max_tokens": 10, "temperature": 0.0})
        self.assertEqual(r.params["max_tokens"], 100)

        class Actor:
            config = types.SimpleNamespace(ppo_mini_batch_size=16)

            def update_policy(self, data):
                return self.config.ppo_mini_batch_size

        update = worker_patch.with_mini_batch_rows(Actor.update_policy)
        self.assertEqual(update(Actor(), FakeDataProto(meta_info={"qlx_mini_batch_rows": 37})), 37)
        self.assertEqual(update(Actor(), FakeDataProto(meta_info={})), 16)
        self.assertEqual(Actor.config.ppo_mini_batch_size, 16)
        # 600 step rows on 8 ranks, batch 128 prompts in mini-batches of 32: 4 updates of 19 rows/rank.
        self.assertEqual(mini_batch_rows(600, 8, 128, 32), 19)
        self.assertEqual(mini_batch_rows(600, 8, 128, 128), 75)


class RetrospectiveTest(unittest.TestCase):
    def test_carries_hard_samples_that_fit_the_next_stage(self):
        items = [
            {"index": 3, "pass_rate": 0.25, "input_tokens": 100, "output_tokens": 10},
            {"index": 1, "pass_rate": 0.0, "input_tokens": 100},
            {"index": 2, "pass_rate": 0.5, "input_tokens": 100},
            {"index": 4, "pass_rate": 0.1, "input_tokens": 500},
            {"index": 5, "pass_rate": 0.1, "input_tokens": 100, "output_tokens": 90},
        ]
        self.assertEqual(retrospective.carry_over(items, 0.5, 200, 50), ([1, 3], 1, 2))


class JudgeTest(unittest.TestCase):
    def test_parses_verdicts_like_the_runtime(self):
        self.assertTrue(judge.parse_verdict("not 'no', the answer is [[YES]]"))
        self.assertFalse(judge.parse_verdict("Equivalent?\nNot equivalent."))
        self.assertIsNone(judge.parse_verdict("I cannot tell"))

    def test_retries_caches_and_reports_failures(self):
        replies = [urllib.error.URLError("down"), {"choices": [{"message": {"content": "[[YES]]"}}]}]
        sent = []

        def transport(url, headers, body, timeout):
            sent.append(body["messages"][0]["content"])
            r = replies.pop(0)
            if isinstance(r, Exception):
                raise r
            return r

        cache = tempfile.mkdtemp()
        client = judge.JudgeClient("http://j/v1", "m", "Q {question} P {predicted} G {gold}", retries=2, cache_dir=cache, transport=transport, sleep=lambda s: None)
        self.assertTrue(client.judge("q", "{gold}", "x"))
        self.assertEqual(sent, ["Q q P {gold} G x", "Q q P {gold} G x"])
        self.assertTrue(client.judge("q", "{gold}", "x"))  # from the cache: no third request
        self.assertEqual(len(sent), 2)

        def down(*_a):
            raise urllib.error.URLError("down")

        failing = judge.JudgeClient("http://j/v1", "m", "{question}", retries=1, transport=down, sleep=lambda s: None)
        failure = failing.judge("q", "p", "g")
        self.assertIsInstance(failure, judge.JudgeFailure)
        self.assertEqual(failure.attempts, 2)


class ComputeScoreTest(unittest.TestCase):
    def test_rule_rewards_and_the_hybrid_fallback(self):
        from qlx_verl import reward_fn

        self.assertEqual(reward_fn.compute_score("mc", "The answer is (B)", "B", {"choices": ["x", "y"]})["score"], 1.0)
        self.assertEqual(reward_fn.compute_score("num", "Therefore, the answer is 12.5%", "0.125", None)["score"], 1.0)
        hit = reward_fn.compute_score(data_source="qa", solution_str="Answer: Paris, France", ground_truth="Paris", extra_info={})
        self.assertEqual(hit, {"score": 1.0, "judged": 0.0, "judge_failed": 0.0})

        class Down(judge.JudgeClient):
            def judge(self, *_a):
                return judge.JudgeFailure("down", 3)

        reward_fn._judge = Down("http://j", "m", "p")
        miss = reward_fn.compute_score(data_source="qa", solution_str="Answer: Lyon", ground_truth="Paris", extra_info={"question": "capital?"})
        self.assertEqual(miss, {"score": 0.0, "judged": 1.0, "judge_failed": 1.0})
        with self.assertRaisesRegex(KeyError, "not a task"):
            reward_fn.compute_score("nope", "", "", None)


    def test_batch_entry_keeps_order_and_overlaps_judge_calls(self):
        import threading
        import time

        from qlx_verl import reward_fn

        active, peak = [0], [0]
        lock = threading.Lock()

        class Slow(judge.JudgeClient):
            def judge(self, question, predicted, gold):
                with lock:
                    active[0] += 1
                    peak[0] = max(peak[0], active[0])
                time.sleep(0.05)
                with lock:
                    active[0] -= 1
                return predicted == "Lyon"

        reward_fn._judge = Slow("http://j", "m", "p")
        answers = ["Answer: Lyon", "Answer: Paris", "Answer: Nice", "Answer: Lyon"] * 2
        got = reward_fn.compute_score_batch(["qa"] * 8, answers, ["Paris"] * 8, [{}] * 8)
        want = [reward_fn.compute_score("qa", a, "Paris", {}) for a in answers]
        self.assertEqual(got, want)
        self.assertEqual([g["score"] for g in got[:4]], [1.0, 1.0, 0.0, 1.0])
        self.assertGreater(peak[0], 1)


class PrepareDataTest(unittest.TestCase):
    def test_validation_split_is_deterministic_and_never_empty(self):
        from qlx_verl.prepare_data import validation_ids

        ids = [f"r{i}" for i in range(500)]
        held = validation_ids(ids, 0.05)
        self.assertEqual(held, validation_ids(list(reversed(ids)), 0.05))
        self.assertTrue(5 <= len(held) <= 50)
        self.assertEqual(len(validation_ids(ids[:3], 0.0)), 1)
        self.assertEqual(validation_ids(["only"], 0.0), set())


class WorkerPatchTest(unittest.TestCase):
    def test_imports_without_verl_and_reports_it(self):
        from qlx_verl import worker_patch

        self.assertFalse(worker_patch.INSTALLED)


if __name__ == "__main__":
    unittest.main()
