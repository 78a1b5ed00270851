"""Unit tests of the memory agent on verl (memory_agent.py, agent_rollout.py, the agent paths of
trainer.py, reward_fn.py and worker_patch.py), on CPU without verl (run by python-package.test.ts).

verl's protocol, rollout worker group and fit() are stand-ins that follow the v0.4.0 contract (see the
reference notes in docs/verl.md), so the wiring is tested, not assumed; memory-agent.test.ts compares
the loop and the advantages with the built-in runtime.
"""

import math
import os
import sys
import tempfile
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

import torch  # noqa: E402

from fakeverl import VERL_NAMES, install, write_config  # noqa: E402

from qlx_verl import masks, retrospective, settings  # noqa: E402

CONFIG = {
    "seed": 7,
    "verl_names": VERL_NAMES,
    "tasks": {
        "mc": {"reward": {"op": "choice_accuracy"}},
        "qa": {"reward": {"op": "contains"}},
    },
    "judge": None,
}


def setUpModule():
    CONFIG["stages"] = {"s_agent": AGENT_STAGE}
    write_config(CONFIG, settings)


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


AGENT_STAGE = {
    "name": "s_agent",
    "nodes": [
        {"kind": "dataset", "tasks": ["qa"]},
        {"kind": "sampler", "op": "uniform", "batch": 2},
        {"kind": "rollout", "group": 2, "max_output": 12, "agent": {"kind": "memory", "chunk": 4, "memory": 10, "plan": False, "max_chunks": 0}},
        {"kind": "advantage", "op": "grpo", "std": "group", "eps": 1e-6},
        {"kind": "mask", "op": "none"},
        {"kind": "control", "op": "none"},
    ],
    "agent_template": AGENT_TEMPLATE,
}


class AgentFakes:
    """Stand-ins for verl's protocol and rollout worker group, and a prompt batch of two questions."""

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



class MemoryAgentVerlTest(AgentFakes, unittest.TestCase):
    """MemoryAgentRollout and AgentBatch on the stand-ins."""

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


class AgentTrainerHookTest(AgentFakes, unittest.TestCase):
    """QlxRayTrainer on an agent stage against a stand-in with verl v0.4.0's fit() flow: the module's
    DataProto builds the batch, pop -> generate_sequences -> uid -> repeat(n) -> union -> reward ->
    compute_log_prob -> the module-global compute_advantage."""

    def test_fit_trains_every_step_row_with_its_trajectory_advantage(self):
        import numpy as np

        logged = []
        outer = self
        class Tracking:
            def __init__(self, **_kw):
                pass

            def log(self, data, step):
                logged.append(dict(data))

        class WorkerGroup:
            world_size = 4
            generate_sequences = staticmethod(outer.worker_group())

            def compute_log_prob(self, data):
                n, r = data.batch["responses"].shape
                return FakeDataProto({"old_log_probs": torch.zeros(n, r), "entropys": torch.full((n, r), 0.5)})

        class RayPPOTrainer:
            def __init__(self, config=None, tokenizer=None, **_kw):
                self.config = config
                self.tokenizer = tokenizer
                self.global_steps = 0

            def init_workers(self):
                self.actor_rollout_wg = WorkerGroup()

            def fit(self):
                from fakeverl.tracking import Tracking as T

                module = sys.modules["fakeverl.trainer"]
                logger = T()
                batch = module.DataProto.from_single_dict(outer.prompt_batch_dict())
                gen_batch = batch.pop(batch_keys=["input_ids"])
                out = self.actor_rollout_wg.generate_sequences(gen_batch)
                batch.non_tensor_batch["uid"] = np.array(["u0", "u1"], dtype=object)
                batch = batch.repeat(repeat_times=2, interleave=True)
                batch = batch.union(out)
                r = batch.batch["responses"].shape[1]
                batch.batch["response_mask"] = batch.batch["attention_mask"][:, -r:]
                # The reward manager: reward_fn scores answer rows only; trajectory t scores t % 2.
                scores = torch.zeros(len(batch), r)
                for i, info in enumerate(batch.non_tensor_batch["extra_info"]):
                    if not info["qlx_reading_step"]:
                        scores[i, int(batch.batch["response_mask"][i].sum()) - 1] = batch.non_tensor_batch["qlx_traj"][i] % 2
                old = self.actor_rollout_wg.compute_log_prob(batch)
                old.batch.pop("entropys")
                batch = batch.union(old)
                batch.batch["token_level_scores"] = scores
                batch.batch["token_level_rewards"] = scores
                batch = module.compute_advantage(batch, adv_estimator="grpo")
                self.global_steps = 1
                logger.log(data={"actor/entropy_loss": 0.5}, step=1)
                return batch

        trainer_mod = install(RayPPOTrainer, Tracking, DataProto=FakeDataProto, compute_advantage=None)

        class Tokenizer:
            pad_token_id = 0

            def apply_chat_template(self, messages, add_generation_prompt, tokenize):
                return "\x01" + messages[0]["content"]

            def __call__(self, text, add_special_tokens):
                return {"input_ids": list(text.encode())}

            def decode(self, ids, skip_special_tokens):
                return bytes(i for i in ids if i >= 32).decode()

        from qlx_verl.trainer import make_trainer_class

        config = types.SimpleNamespace(
            data=types.SimpleNamespace(reward_fn_key="data_source", train_batch_size=2, max_prompt_length=40),
            actor_rollout_ref=types.SimpleNamespace(rollout=types.SimpleNamespace(n=2), actor=types.SimpleNamespace(ppo_mini_batch_size=2)),
            trainer=types.SimpleNamespace(default_local_dir=tempfile.mkdtemp()),
        )
        t = make_trainer_class()(config=config, tokenizer=Tokenizer(), qlx_stage="s_agent")
        t.init_workers()
        batch = t.fit()
        self.assertIs(trainer_mod.DataProto, FakeDataProto)  # restored after fit()
        self.assertEqual(len(batch), 12)
        keep, adv = masks.decode_keep(batch.batch["advantages"])
        mask = batch.batch["response_mask"].to(torch.float32)
        # GRPO over the 2 trajectories of each question (rewards 0 and 1): -0.707 and +0.707 on every
        # valid token of every step of the trajectory; padding rows keep nothing.
        for i in range(12):
            traj, pad = int(batch.non_tensor_batch["qlx_traj"][i]), bool(batch.non_tensor_batch["qlx_pad"][i])
            if pad:
                self.assertEqual(float((keep[i] * mask[i]).sum()), 0.0)
                continue
            want = (1 if traj % 2 else -1) * 0.5 / (math.sqrt(0.5) + 1e-6)
            valid = adv[i][mask[i] > 0]
            self.assertTrue(torch.allclose(valid, torch.full_like(valid, want)), (i, valid))
        self.assertEqual(batch.meta_info["qlx_mini_batch_rows"], 3)
        self.assertEqual(logged[0]["agent/steps_mean"], 2.5)
        self.assertIn("adv/mean/qa", logged[0])
        with open(os.path.join(config.trainer.default_local_dir, "qlx_scores.jsonl")) as f:
            self.assertEqual(retrospective.pass_rates(f), {5: 0.5, 6: 0.5})

    def prompt_batch_dict(self):
        b = self.prompt_batch()
        return {**b.batch, **b.non_tensor_batch}



class ChunksAndDataTest(unittest.TestCase):
    def test_streamed_file_chunks_are_the_chunks_of_the_whole_text(self):
        from qlx_verl.memory_agent import file_chunks, text_chunks

        text = "".join(f"word{i} café ☕ " if i % 7 else "x" * 40 + " " for i in range(300))
        fd, path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        encode = lambda t: list(t.encode("utf-8"))  # noqa: E731 -- the byte tokenizer
        want = list(text_chunks(text, 50, encode)())
        # Reads of 7 bytes cut multi-byte characters and words; a carry of 16 characters forces cuts
        # inside the 40-character runs.
        got = list(file_chunks(path, 50, encode, read_bytes=7, max_carry=16)())
        self.assertEqual(got, want)
        self.assertEqual(sum(len(c) for c in got), len(text.encode("utf-8")))
        with self.assertRaisesRegex(ValueError, "chunk must be a positive integer"):
            text_chunks(text, 0, encode)

    def test_long_contexts_go_to_files_the_agent_streams(self):
        from qlx_verl.memory_agent import agent_task
        from qlx_verl.prepare_data import agent_row, to_row

        record = {"task": "reading", "id": "r1", "question": "Who? Be brief.", "answer": "Ann", "documents": [{"title": "T", "text": "Ann wrote it. " * 20}], "meta": {"q_core": "Who?", "q_inst": "Be brief."}}
        folder = tempfile.mkdtemp()
        row = agent_row(to_row("qa", record, None), record, folder, inline_chars=100)
        info = row["extra_info"]
        self.assertIsNone(info["agent_context"])
        self.assertTrue(info["agent_context_path"].startswith(folder))
        self.assertEqual((info["agent_core"], info["agent_inst"]), ("Who?", "Be brief."))
        self.assertEqual(row["prompt"], [{"role": "user", "content": "Who?\nBe brief."}])
        encode = lambda t: list(t.encode("utf-8"))  # noqa: E731
        streamed = [t for c in agent_task(info, 16, encode).chunks() for t in c]
        self.assertEqual(bytes(streamed).decode(), "T\n" + "Ann wrote it. " * 20 + "\n\n")
        inline = agent_row(to_row("qa", record, None), record, folder, inline_chars=10**6)["extra_info"]
        self.assertEqual([t for c in agent_task(inline, 16, encode).chunks() for t in c], streamed)
        with self.assertRaisesRegex(KeyError, "no agent_core"):
            agent_task({"id": "x"}, 16, encode)

    def test_hf_codec_wraps_each_prompt_in_the_chat_template(self):
        from qlx_verl.memory_agent import hf_codec

        class Tokenizer:
            def apply_chat_template(self, messages, add_generation_prompt, tokenize):
                assert add_generation_prompt and not tokenize
                return "<|user|>" + messages[0]["content"] + "<|end|><|assistant|>"

            def __call__(self, text, add_special_tokens):
                return {"input_ids": [ord(c) for c in text]}

            def decode(self, ids, skip_special_tokens):
                return "".join(chr(i) for i in ids)

        codec = hf_codec(Tokenizer())
        ids = codec.step_prompt("head ", [1, 2], " tail")
        self.assertEqual(ids, [ord(c) for c in "<|user|>head "] + [1, 2] + [ord(c) for c in " tail<|end|><|assistant|>"])
        self.assertEqual(codec.decode([ord("o"), ord("k")]), "ok")

if __name__ == "__main__":
    unittest.main()
