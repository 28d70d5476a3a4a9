import numpy as np
import pytest

from escalation_sim import EscalationModel
from escalation_sim.rng import STREAMS, Streams, run_seed, stream


def test_same_seed_same_numbers_and_streams_differ():
    a, b = Streams(7), Streams(7)
    assert np.array_equal(a["violence"].random(5), b["violence"].random(5))
    assert not np.array_equal(stream(7, "violence").random(5), stream(7, "events").random(5))
    assert not np.array_equal(stream(7, "violence").random(5), stream(8, "violence").random(5))


def test_extra_draw_in_one_stream_leaves_every_other_stream_unchanged():
    plain, extra = Streams(3), Streams(3)
    extra["events"].random(1000)           # one submodel draws more than usual
    for name in STREAMS:
        if name != "events":
            assert np.array_equal(plain[name].random(50), extra[name].random(50)), name


def test_unknown_stream_and_bad_seed_refused():
    with pytest.raises(KeyError):
        stream(1, "weather")
    with pytest.raises(ValueError):
        Streams(-1)


def test_run_seed_depends_on_base_and_index_only():
    seeds = [run_seed(11, i) for i in range(100)]
    assert seeds == [run_seed(11, i) for i in range(100)]
    assert len(set(seeds)) == 100
    assert run_seed(12, 0) != run_seed(11, 0)
    assert all(0 <= s < 2**63 for s in seeds)


class _DrawsButChangesNothing:
    """An intervention that consumes random numbers from its own stream and does nothing."""

    name = "noop"

    def apply(self, model):
        model.streams["interventions"].random(10_000)
        return 0.0


def test_intervention_drawing_from_its_stream_leaves_every_output_identical(default):
    plain = EscalationModel(default, seed=3).run()
    assert plain.violence.deaths > 0          # the violence stream's alignment is exercised
    other = EscalationModel(default, seed=3)
    other.delivery.interventions.append(_DrawsButChangesNothing())
    other.run()
    assert np.array_equal(plain.series, other.series)
    assert plain.events_log == other.events_log


def test_each_stream_draws_the_same_count_of_numbers_whatever_happens():
    from escalation_sim import load_scenario

    calm = load_scenario("resilient", ["events.coup_hazard=0"])
    wild = load_scenario("default", ["events.coup_hazard=1", "events.shock_hazard=1",
                                     "armed_groups.militia.lethality=0.5"])
    a, b = EscalationModel(calm, seed=1).run(), EscalationModel(wild, seed=1).run()
    assert a.violence.deaths < b.violence.deaths
    for name in ("events", "violence", "observation"):
        assert a.streams[name].bit_generator.state == b.streams[name].bit_generator.state, name
