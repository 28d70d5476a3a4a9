"""Stored regression baseline.

Refresh deliberately, after a change meant to alter results:
``uv run pytest tests/test_regression.py --refresh-baseline``, then review the diff of
``tests/baseline.json`` and say why in the commit message.
"""

import hashlib
import json
from pathlib import Path

from escalation_sim import EscalationModel, RunOutcome, load_scenario

BASELINE = Path(__file__).with_name("baseline.json")
CASES = [("default", s) for s in range(4)] + [("resilient", s) for s in range(2)]


def current() -> dict:
    out = {}
    for name, seed in CASES:
        m = EscalationModel(load_scenario(name), seed).run()
        o = RunOutcome.from_model(m).to_dict()
        o.pop("stages")
        o["series_sha256"] = hashlib.sha256(m.series.tobytes()).hexdigest()
        out[f"{name}/{seed}"] = o
    return json.loads(json.dumps(out))  # tuples -> lists, as stored


def test_outputs_match_the_stored_baseline(request):
    now = current()
    if request.config.getoption("--refresh-baseline"):
        BASELINE.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    stored = json.loads(BASELINE.read_text())
    assert stored.keys() == now.keys()
    for key in stored:
        assert stored[key] == now[key], (
            f"{key} differs from tests/baseline.json; if the change is intended, refresh with "
            "`uv run pytest tests/test_regression.py --refresh-baseline`")
