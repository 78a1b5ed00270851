"""Reference for runtime/rewards/sequence-ratio.ts: reads a JSON list of [a, b] string pairs
on stdin and prints the JSON list of difflib.SequenceMatcher(None, a, b).ratio() values.
json.dumps writes floats with repr, so the values round-trip exactly into JavaScript."""

import json
import sys
from difflib import SequenceMatcher

pairs = json.load(sys.stdin)
json.dump([SequenceMatcher(None, a, b).ratio() for a, b in pairs], sys.stdout)
