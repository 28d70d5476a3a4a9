"""escalation-sim: an agent-based simulation of the slide from general risk into atrocity crimes,
and of what stops it.

Results are the model's, for stylized scenarios; they are not forecasts of any real country.
"""

__version__ = "0.1.0"

from .model import SERIES, EscalationModel  # noqa: E402
from .outcomes import RunOutcome, summarize  # noqa: E402
from .params import Scenario  # noqa: E402
from .runner import run_ensemble, run_one  # noqa: E402
from .scenario import load_scenario  # noqa: E402
from .stages import Stage  # noqa: E402

__all__ = ["SERIES", "EscalationModel", "RunOutcome", "Scenario", "Stage", "load_scenario",
           "run_ensemble", "run_one", "summarize", "__version__"]
