"""The hybrid reward verl calls: `custom_reward_function.path` points at this file.

The bundle uses verl's batch reward manager (`reward_model.reward_manager=batch`) with
`compute_score_batch`, which scores a step's responses concurrently: rules are cheap, but judge
requests are network round trips, and verl's default manager would send them one at a time.

verl execs this file as module `custom_module` (reward.py L37-41), so it imports the plugin by its
absolute name; the bundle's launch scripts put the bundle directory on PYTHONPATH. Each task's
reward expression comes from config.json (IR `Reward`): a rule, `judge`, or `max`/`fallback` of
rewards, with the runtime's combinators (runtime/rewards/registry.ts): components run in order and
stop at the first scoring 1, so `fallback(contains, judge)` (the paper's hybrid reward, Section 5.1)
asks the judge only when the rule misses. A judge failure (after retries) fails the sample unless
a component already scored 1; verl needs a number, so the score is 0 and the result dict flags it
(`judge_failed`, collected by verl as reward_extra_info and shown in validation metrics).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence

from qlx_verl import rewards, settings
from qlx_verl.agent_rollout import READING_STEP_KEY
from qlx_verl.judge import JudgeClient, JudgeFailure

_judge: Optional[JudgeClient] = None


def _judge_client() -> JudgeClient:
    global _judge
    if _judge is None:
        cfg = settings.load().get("judge")
        if cfg is None:
            raise RuntimeError("qlx_verl: a task reward uses judge but the experiment declares no judge")
        endpoint = os.environ.get(cfg["endpoint_env"], "") if cfg.get("endpoint_env") else cfg.get("endpoint", "")
        if not endpoint:
            raise RuntimeError(f"qlx_verl: the judge endpoint is empty; set ${cfg.get('endpoint_env')}")
        api_key = os.environ.get(cfg["api_key_env"]) if cfg.get("api_key_env") else cfg.get("api_key")
        _judge = JudgeClient(
            endpoint=endpoint,
            model=cfg["model"],
            prompt=cfg["prompt"],
            api_key=api_key,
            timeout_s=cfg["timeout_s"],
            retries=cfg["retries"],
            cache_dir=os.environ.get("QLX_JUDGE_CACHE", os.path.join(os.getcwd(), ".qlx-judge-cache")),
            seed=settings.load()["seed"],
        )
    return _judge


class _Outcome:
    def __init__(self) -> None:
        self.judged = False
        self.failure: Optional[JudgeFailure] = None


def evaluate(expr: Dict[str, Any], response: str, golds, info: Dict[str, Any], outcome: _Outcome) -> Optional[float]:
    """Score of one reward expression; None when it could not be computed (judge failure)."""
    op = expr["op"]
    if op in rewards.RULES:
        return rewards.RULES[op](response, golds, info)
    if op == "numeric_match":
        return rewards.numeric_match(expr["rel_tol"], expr["abs_tol"])(response, golds, info)
    if op == "judge":
        outcome.judged = True
        verdict = _judge_client().judge(str(info.get("question", "")), rewards.extract_answer(response), golds[0])
        if isinstance(verdict, JudgeFailure):
            outcome.failure = verdict
            return None
        return 1.0 if verdict else 0.0
    if op in ("max", "fallback"):
        # runtime/rewards/registry.ts: evaluate in order, stop at the first component scoring 1;
        # max takes the best unless a component failed; fallback lets the last component decide.
        best = 0.0
        failed = False
        last: Optional[float] = None
        for sub in expr["of"]:
            last = evaluate(sub, response, golds, info, outcome)
            if last is None:
                failed = True
                continue
            if last >= 1:
                return last
            best = max(best, last)
        if op == "max":
            return None if failed else best
        return last
    raise ValueError(f"qlx_verl: unknown reward op {op!r}")


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **_reward_kwargs) -> Dict[str, Any]:
    tasks = settings.load()["tasks"]
    if data_source not in tasks:
        raise KeyError(f"qlx_verl: data_source {data_source!r} is not a task of this experiment ({', '.join(tasks)})")
    info = dict(extra_info or {})
    if info.get(READING_STEP_KEY):
        # A memory-agent reading step (or padding row): the trajectory is scored on its answer row.
        return {"score": 0.0, "judged": 0.0, "judge_failed": 0.0}
    golds = rewards.gold_answers(ground_truth, info)
    outcome = _Outcome()
    score = evaluate(tasks[data_source]["reward"], solution_str, golds, info, outcome)
    return {
        "score": 0.0 if score is None else float(score),
        "judged": 1.0 if outcome.judged else 0.0,
        "judge_failed": 1.0 if score is None else 0.0,
    }


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos, **reward_kwargs) -> List[Dict[str, Any]]:
    """verl's BatchRewardManager entry: one result per response, in order; judge calls overlap
    (QLX_JUDGE_CONCURRENCY threads, default 16)."""
    workers = int(os.environ.get("QLX_JUDGE_CONCURRENCY", "16"))
    args: Sequence = list(zip(data_sources, solution_strs, ground_truths, extra_infos))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda a: compute_score(*a, **reward_kwargs), args))
