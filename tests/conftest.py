import pytest

from escalation_sim import load_scenario


def pytest_addoption(parser):
    parser.addoption("--refresh-baseline", action="store_true",
                     help="rewrite tests/baseline.json from the current code, then review the diff")


@pytest.fixture(scope="session")
def default():
    return load_scenario("default")


@pytest.fixture(scope="session")
def small():
    """The default scenario at 2,000 civilians and 60 months: fast, same mechanisms."""
    return load_scenario("default", ["run.n_civilians=2000", "run.months=60",
                                     "events.scheduled=[{kind='election', month=18}]"])


def pytest_collection_modifyitems(config, items):
    """The browser tests first: under ``--dist loadscope`` (pyproject.toml) each test module goes
    whole to one worker, and the browser module is the longest (mostly waiting on the page), so
    starting it first lets the other worker run the CPU-bound modules beside it instead of after
    it. Every worker collects in this same order, as xdist requires."""
    items.sort(key=lambda item: item.path.name != "test_ui_browser.py")   # stable sort
