"""LLM-as-a-judge client for the hybrid reward (paper Section 5.1, Table 6 prompt).

OpenAI-compatible chat completions over the standard library (urllib), so reward workers need no
extra package. Verdicts are cached on disk by the content hash of (model, prompt); transient
failures (network, 429, 5xx, timeouts) are retried with exponential backoff and deterministic
jitter; a request that still fails returns a JudgeFailure record (never a silent 0), which the
reward function reports in its `reward_extra_info`. The verdict parser follows
runtime/judge/verdict.ts: a bracketed [[YES]]/[[NO]] anywhere wins, else the last line that holds
a verdict word.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable, Optional, Union

_BRACKETED = re.compile(r"\[\[\s*(yes|no|true|false|equivalent|not\s+equivalent)\s*\]\]", re.IGNORECASE)
_WORDS = re.compile(r"\b(not\s+equivalent|non-?equivalent|inequivalent|equivalent|yes|no|true|false)\b", re.IGNORECASE)


def _meaning(mark: str) -> bool:
    return re.sub(r"\s+", " ", mark.lower()) in ("yes", "true", "equivalent")


def parse_verdict(reply: str) -> Optional[bool]:
    bracketed = _BRACKETED.findall(reply)
    if bracketed:
        return _meaning(bracketed[-1])
    for line in reversed(re.split(r"\r?\n", reply)):
        words = _WORDS.findall(line)
        if words:
            return _meaning(words[-1])
    return None


def render_prompt(template: str, question: str, predicted: str, gold: str) -> str:
    values = {"question": question, "predicted": predicted, "gold": gold}
    return re.sub(r"\{(question|predicted|gold)\}", lambda m: values[m.group(1)], template)


@dataclass(frozen=True)
class JudgeFailure:
    reason: str
    attempts: int


Transport = Callable[[str, dict, dict, float], dict]


def _http_post(url: str, headers: dict, body: dict, timeout_s: float) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        return json.loads(resp.read().decode())


class JudgeClient:
    def __init__(
        self,
        endpoint: str,
        model: str,
        prompt: str,
        api_key: Optional[str] = None,
        timeout_s: float = 60.0,
        retries: int = 3,
        cache_dir: Optional[str] = None,
        seed: int = 0,
        transport: Transport = _http_post,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.url = endpoint.rstrip("/") + ("" if endpoint.rstrip("/").endswith("/chat/completions") else "/chat/completions")
        self.model = model
        self.prompt = prompt
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self.cache_dir = cache_dir
        self.seed = seed
        self.transport = transport
        self.sleep = sleep

    def _cache_path(self, key: str) -> Optional[str]:
        return None if self.cache_dir is None else os.path.join(self.cache_dir, key[:2], key + ".json")

    def judge(self, question: str, predicted: str, gold: str) -> Union[bool, JudgeFailure]:
        content = render_prompt(self.prompt, question, predicted, gold)
        key = hashlib.sha256(json.dumps([self.model, content]).encode()).hexdigest()
        path = self._cache_path(key)
        if path is not None and os.path.exists(path):
            with open(path) as f:
                return bool(json.load(f)["equivalent"])
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {"model": self.model, "messages": [{"role": "user", "content": content}], "temperature": 0}
        rng = random.Random(f"{self.seed}:{key}")
        reason = "no attempt"
        for attempt in range(self.retries + 1):
            try:
                reply = self.transport(self.url, headers, body, self.timeout_s)
                text = reply["choices"][0]["message"]["content"] or ""
                verdict = parse_verdict(text)
                if verdict is None:
                    reason = f"no verdict in the judge's reply: {text[-200:]!r}"
                else:
                    self._store(path, verdict, text)
                    return verdict
            except urllib.error.HTTPError as e:
                reason = f"HTTP {e.code} from {self.url}"
                if e.code < 500 and e.code != 429:
                    return JudgeFailure(reason, attempt + 1)
            except (urllib.error.URLError, TimeoutError, OSError, KeyError, IndexError, ValueError) as e:
                reason = f"{type(e).__name__}: {e}"
            if attempt < self.retries:
                self.sleep(min(30.0, 0.5 * 2**attempt) * (0.5 + rng.random()))
        return JudgeFailure(reason, self.retries + 1)

    def _store(self, path: Optional[str], verdict: bool, reply: str) -> None:
        if path is None:
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w") as f:
            json.dump({"equivalent": verdict, "reply": reply}, f)
        os.replace(tmp, path)
