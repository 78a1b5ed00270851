"""Unit tests of the qlx_verl package on CPU, without verl (run by test/verl/python-package.test.ts).

verl's integration points are exercised against small stand-ins that mimic the v0.4.0 contract
(a trainer whose fit() calls its module's compute_advantage and imports Tracking from
verl.utils.tracking; a DataProto-like batch), so the hook mechanics are tested, not assumed.
"""

import os
import sys
import tempfile
import types
import unittest
import urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

import torch  # noqa: E402

from fakeverl import VERL_NAMES, install, write_config  # noqa: E402

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
    "verl_names": VERL_NAMES,
    "tasks": {
        "mc": {"reward": {"op": "choice_accuracy"}},
        "qa": {"reward": {"op": "fallback", "of": [{"op": "contains"}, {"op": "judge"}]}},
        "num": {"reward": {"op": "numeric_match", "rel_tol": 1e-4, "abs_tol": 0}},
    },
    "judge": {"endpoint": "http://judge.invalid/v1", "model": "m", "prompt": "Q {question} P {predicted} G {gold}", "timeout_s": 1, "retries": 2},
    "stages": {"s1": STAGE},
}


def setUpModule():
    write_config(CONFIG, settings)


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

        install(RayPPOTrainer, Tracking, compute_advantage=compute_advantage)
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


class RetrospectiveTest(unittest.TestCase):
    def test_carries_hard_samples_that_fit_the_next_stage(self):
        items = [
            {"index": 3, "pass_rate": 0.25, "input_tokens": 100, "output_tokens": 10},
            {"index": 1, "pass_rate": 0.0, "input_tokens": 100},
            {"index": 2, "pass_rate": 0.5, "input_tokens": 100},
            {"index": 4, "pass_rate": 0.1, "input_tokens": 500},
            {"index": 5, "pass_rate": 0.1, "input_tokens": 100, "output_tokens": 90},
        ]
        self.assertEqual(retrospective.carry_over(items, "<", 0.5, 200, 50), ([1, 3], 1, 2))
        # The file's comparison, not always `<`: `<=` keeps a pass rate equal to x.
        rates = [{"index": i, "pass_rate": r, "input_tokens": 1} for i, r in enumerate([0.25, 0.5, 0.75])]
        self.assertEqual(retrospective.carry_over(rates, "<", 0.5, 8, 8)[0], [0])
        self.assertEqual(retrospective.carry_over(rates, "<=", 0.5, 8, 8)[0], [0, 1])
        self.assertEqual(retrospective.carry_over(rates, ">", 0.5, 8, 8)[0], [2])
        with self.assertRaises(ValueError):
            retrospective.carry_over(rates, "==", 0.5, 8, 8)


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
