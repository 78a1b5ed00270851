"""Rule-based rewards, score in [0, 1], the same rules as the built-in runtime (runtime/rewards).

Answer extraction works on the text after the last `</think>` (none when generation stopped inside
an unclosed `<think>`): the last \\boxed{...}, else the last
"Answer: ..." line, else the last "the answer is ..." sentence, else the whole final text.
Normalisation is SQuAD's (NFKC, lower case, drop punctuation/symbols and the articles a/an/the,
collapse whitespace). Rules compare the extracted answer with every accepted gold answer
(`ground_truth` plus `extra_info["aliases"]`) and take the best:
  contains         gold occurs in the answer as a run of whole words (paper Section 5.1)
  cem              gold is a substring of the answer (cover exact match)
  em, f1           normalised exact match, SQuAD token F1
  choice_accuracy  the extracted choice letter equals the gold letter
  numeric_match    math.isclose(rel_tol, abs_tol) on the last number; a percentage on one side
                   is also tried as a fraction
  sequence_ratio   difflib.SequenceMatcher(None, final_text, gold).ratio()
  mrcr_grade       0 unless the final text starts with extra_info["prefix"]; strip it once, then the ratio
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from typing import Any, Dict, List, Optional, Sequence, Tuple

Record = Dict[str, Any]


def final_text(response: str) -> str:
    """Text after the last `</think>`; "" when `<think>` was opened and never closed (no answer)."""
    end = response.rfind("</think>")
    if end >= 0:
        return response[end + len("</think>") :].lstrip()
    return "" if "<think>" in response else response


def extract_boxed(text: str) -> Optional[str]:
    found = None
    for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth, k = 1, m.end()
        start = k
        while k < len(text) and depth > 0:
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
            k += 1
        if depth == 0:
            found = text[start : k - 1]
    return found.strip() if found is not None else None


_ANSWER_LINE = re.compile(r"^\s*[*_#>\s]*(?:final\s+answer|answer)\s*[*_]*\s*[:：]\s*(.*)$", re.IGNORECASE)
_ANSWER_IS = re.compile(r"\bthe\s+(?:final\s+|correct\s+)?answer\s+is\s*[:：]?\s*", re.IGNORECASE)


def _tidy(answer: str) -> str:
    out = answer.strip()
    before = None
    while before != out:
        before = out
        out = re.sub(r"\.+$", "", out)
        out = re.sub(r"^[*_]+|[*_]+$", "", out)
        out = re.sub(r"^[\"“'](.*)[\"”']$", r"\1", out, flags=re.DOTALL)
        out = out.strip()
    return out


def extract_answer_line(text: str) -> Optional[str]:
    lines = re.split(r"\r?\n", text)
    for k in range(len(lines) - 1, -1, -1):
        m = _ANSWER_LINE.match(lines[k])
        if m is None:
            continue
        answer = _tidy(m.group(1))
        nxt = k + 1
        while answer == "" and nxt < len(lines):
            answer = _tidy(lines[nxt])
            nxt += 1
        if answer != "":
            return answer
    return None


def extract_answer_is(text: str) -> Optional[str]:
    last = None
    for m in _ANSWER_IS.finditer(text):
        last = m.end()
    if last is None:
        return None
    rest = text[last:]
    nl = re.search(r"\r?\n", rest)
    answer = _tidy(rest if nl is None else rest[: nl.start()])
    return answer or None


def extract_answer(response: str) -> str:
    text = final_text(response)
    for found in (extract_boxed(text), extract_answer_line(text), extract_answer_is(text)):
        if found is not None:
            return found
    return text.strip()


def normalize_answer(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("P", "S"))
    text = re.sub(r"\b(?:a|an|the)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def answer_tokens(text: str) -> List[str]:
    normal = normalize_answer(text)
    return [] if normal == "" else normal.split(" ")


def gold_answers(ground_truth: str, extra_info: Optional[Record]) -> List[str]:
    aliases = (extra_info or {}).get("aliases") or []
    return [str(ground_truth), *[str(a) for a in aliases]]


def _contains_run(hay: Sequence[str], needle: Sequence[str]) -> bool:
    if not needle:
        return False
    n = len(needle)
    return any(list(hay[s : s + n]) == list(needle) for s in range(len(hay) - n + 1))


def contains(response: str, golds: Sequence[str], _info: Record) -> float:
    answer = answer_tokens(extract_answer(response))
    return max((1.0 if _contains_run(answer, answer_tokens(g)) else 0.0) for g in golds)


def cem(response: str, golds: Sequence[str], _info: Record) -> float:
    answer = normalize_answer(extract_answer(response))
    return max((1.0 if normalize_answer(g) != "" and normalize_answer(g) in answer else 0.0) for g in golds)


def em(response: str, golds: Sequence[str], _info: Record) -> float:
    answer = normalize_answer(extract_answer(response))
    return max((1.0 if normalize_answer(g) == answer else 0.0) for g in golds)


def token_f1(prediction: str, gold: str) -> float:
    pred, truth = answer_tokens(prediction), answer_tokens(gold)
    if not pred or not truth:
        return 1.0 if len(pred) == len(truth) else 0.0
    counts: Dict[str, int] = {}
    for t in truth:
        counts[t] = counts.get(t, 0) + 1
    common = 0
    for t in pred:
        if counts.get(t, 0) > 0:
            common += 1
            counts[t] -= 1
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def f1(response: str, golds: Sequence[str], _info: Record) -> float:
    answer = extract_answer(response)
    return max(token_f1(answer, g) for g in golds)


_LONE_LETTER = re.compile(r"^(?:option|choice)?\s*[(\[]?\s*([A-Z])\s*[)\]]?[.:)]?$", re.IGNORECASE)
_LEADING_LETTER = re.compile(r"^[(\[]?([A-Z])[)\].:]\s")


def extract_choice_letter(response: str, choice_count: int, choices: Optional[Sequence[str]] = None) -> Optional[str]:
    answer = extract_answer(response)

    def valid(letter: Optional[str]) -> Optional[str]:
        if letter is None:
            return None
        upper = letter.upper()
        return upper if ord(upper) - 65 < choice_count else None

    lone = _LONE_LETTER.match(answer)
    if lone is not None and (lone.group(1) == lone.group(1).upper() or re.match(r"^(?:option|choice)|[(\[]", answer, re.IGNORECASE)):
        return valid(lone.group(1))
    leading = _LEADING_LETTER.match(answer)
    if leading is not None:
        return valid(leading.group(1))
    if choices is not None:
        def key(s: str) -> str:
            return re.sub(r"\s+", " ", s.strip()).lower()

        for i, c in enumerate(choices):
            if key(c) == key(answer) and i < choice_count:
                return chr(65 + i)
    return None


def choice_accuracy(response: str, golds: Sequence[str], info: Record) -> float:
    choices = info.get("choices")
    letter = extract_choice_letter(response, len(choices) if choices else 26, choices)
    return 1.0 if letter is not None and letter == golds[0].strip().upper() else 0.0


_NUMBER = re.compile(r"([-+\u2212]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE]([-+]?\d+))?(\s*(?:%|percent\b))?")


def extract_number(text: str) -> Optional[Tuple[float, bool]]:
    last = None
    for m in _NUMBER.finditer(text):
        last = m
    if last is None:
        return None
    sign, digits, exponent, percent = last.groups()
    literal = ("-" if sign in ("-", "\u2212") else "") + digits.replace(",", "") + ("" if exponent is None else "e" + exponent)
    value = float(literal)
    return (value, percent is not None) if math.isfinite(value) else None


def numeric_match(rel_tol: float, abs_tol: float):
    if not (rel_tol >= 0 and abs_tol >= 0):
        raise ValueError(f"numeric_match: tolerances must be >= 0, got rel_tol={rel_tol}, abs_tol={abs_tol}")

    def score(response: str, golds: Sequence[str], info: Record) -> float:
        predicted = extract_number(extract_answer(response))
        if predicted is None:
            return 0.0
        if info.get("value") is not None:
            gold_values = [(float(info["value"]), info.get("unit") == "%")]
        else:
            gold_values = [n for n in (extract_number(g) for g in golds) if n is not None]
        for value, gold_percent in gold_values:
            candidates = [predicted[0]]
            if predicted[1] and not gold_percent:
                candidates.append(predicted[0] / 100)
            if gold_percent and not predicted[1]:
                candidates.append(predicted[0] * 100)
            if any(math.isclose(c, value, rel_tol=rel_tol, abs_tol=abs_tol) for c in candidates):
                return 1.0
        return 0.0

    return score


def sequence_ratio(response: str, golds: Sequence[str], _info: Record) -> float:
    text = final_text(response)
    return max(difflib.SequenceMatcher(None, text, g).ratio() for g in golds)


def mrcr_grade(response: str, golds: Sequence[str], info: Record) -> float:
    prefix = info.get("prefix")
    if prefix is None:
        raise ValueError("mrcr_grade: extra_info has no 'prefix' (the sample's required random prefix)")
    text = final_text(response)
    if not text.startswith(prefix):
        return 0.0

    def strip(s: str) -> str:
        return s[len(prefix) :] if s.startswith(prefix) else s

    return max(difflib.SequenceMatcher(None, strip(text), strip(g)).ratio() for g in golds)


RULES = {
    "contains": contains,
    "cem": cem,
    "em": em,
    "f1": f1,
    "choice_accuracy": choice_accuracy,
    "sequence_ratio": sequence_ratio,
    "mrcr_grade": mrcr_grade,
}
