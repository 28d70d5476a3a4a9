"""Uploads in the trainer UI are sandboxed: an uploaded file may extend only a shipped scenario
by name, nothing a browser sends makes the server read another of its files, and every error is
one InputError naming the sanitized file name (the attacks of issue 15, then a fuzzer)."""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path
from unittest import mock

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import escalation_sim.scenario as scenario_module
from escalation_sim.errors import InputError
from escalation_sim.params import Scenario
from escalation_sim.scenario import available, scenario_dir
from escalation_sim.ui import uploads
from escalation_sim.ui.uploads import MAX_BYTES, load_shipped, load_upload, safe_name

SECRET = "hunter2-SECRET"


@pytest.fixture(scope="module")
def secret_file():
    """A file on the 'server' holding a secret where a scenario field would be."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d).resolve() / "secret.toml"
        path.write_text(f'name = "x"\n[run]\nmonths = "{SECRET}"\n', encoding="utf-8")
        yield path


def reads_only_shipped():
    """Patch the one function through which scenario files are read, recording the paths."""
    read, original = [], scenario_module.read_toml

    def spy(path):
        read.append(Path(path).resolve())
        return original(path)

    return read, mock.patch.object(scenario_module, "read_toml", spy)


def refused(filename: str, data: bytes) -> InputError:
    read, patch = reads_only_shipped()
    with patch, pytest.raises(InputError) as e:
        load_upload(filename, data)
    assert all(p.parent == scenario_dir().resolve() for p in read), read
    return e.value


def test_extending_etc_passwd_reads_nothing():
    e = refused("a.toml", b'extends = "/etc/passwd"\n')
    assert e.source == "a.toml" and e.problems[0][0] == "extends"
    assert "not a shipped scenario" in str(e) and "root:" not in str(e)
    assert len(str(e).splitlines()) == 1


@pytest.mark.parametrize("how", ["absolute", "relative", "relative-to-tmp", "name"])
def test_a_secret_file_on_the_server_is_never_read_nor_its_existence_revealed(
        secret_file, how, tmp_path, monkeypatch):
    monkeypatch.chdir(secret_file.parent)   # relative paths resolve next to the secret
    target = {"absolute": str(secret_file),
              "relative": "../" + secret_file.parent.name + "/secret.toml",
              "relative-to-tmp": os.path.relpath(secret_file, Path(tempfile.gettempdir()) / "x"),
              "name": "secret"}[how]
    missing = target.replace("secret", "nothing")
    seen = refused("mine.toml", tomli_w.dumps({"extends": target}).encode())
    unseen = refused("mine.toml", tomli_w.dumps({"extends": missing}).encode())
    assert SECRET not in str(seen) and "run.months" not in str(seen)
    # an existing and a missing file give the same message: existence is not revealed either
    assert str(seen).replace(target, "T") == str(unseen).replace(missing, "T")


def test_the_secret_file_is_read_by_the_command_line_which_may_read_its_users_files(secret_file):
    """The contrast: the CLI follows a path (the user names files on their own machine)."""
    with pytest.raises(InputError, match=SECRET):
        scenario_module.load_scenario(secret_file)


def test_deep_nesting_is_one_message_not_a_recursion_error():
    data = b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"
    assert len(data) < 10_500
    e = refused("deep.toml", data)
    assert str(e) == "deep.toml: nested too deeply (more than 32 levels of tables and arrays)"
    inline = b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000 + b"\n"
    assert "nested too deeply" in str(refused("deep.toml", inline))


def test_a_nul_and_a_path_in_the_file_name_are_sanitized():
    e = refused("evil\x00.toml", b'name = "x"\n')
    assert e.source == "evil_.toml" and "\x00" not in str(e)
    assert safe_name("../../etc/passwd.toml") == "passwd.toml"
    assert safe_name("C:\\Users\\me\\s.toml") == "s.toml"
    assert safe_name("a\nb\x1b[31m.toml") == "a_b_[31m.toml"
    assert safe_name("") == safe_name("..") == safe_name(None) == "upload.toml"
    assert len(safe_name("x" * 10_000 + ".toml")) <= uploads.MAX_NAME
    assert safe_name("x" * 10_000 + ".toml").endswith(".toml")


def test_undecodable_bom_and_oversized_files_are_one_message():
    assert "not UTF-8" in str(refused("a.toml", b"\xff\xfe\x00n"))
    assert "byte-order mark" in str(refused("a.toml", b'\xef\xbb\xbfname = "x"\n'))
    assert "too large" in str(refused("a.toml", b" " * (MAX_BYTES + 1)))
    assert "a .toml file" in str(refused("a.py", b""))


def test_a_key_with_a_newline_or_nul_stays_on_one_line():
    e = refused("a.toml", b'extends = "default"\n"a\\nb" = 1\n[run]\n"x\\u0000" = 2\n')
    assert str(e).splitlines() == [f"a.toml: {f}: {p}" for f, p in e.problems]
    assert sorted(f for f, _ in e.problems) == ["'a\\nb'", "run.'x\\x00'"]


def test_an_unexpected_error_is_one_message_without_its_details(monkeypatch, caplog):
    def boom(*_):
        raise KeyError("/srv/private/path")

    monkeypatch.setattr(uploads, "validate", boom)
    e = refused("a.toml", b'extends = "default"\n')
    assert str(e).startswith("a.toml: this file could not be loaded")
    assert "/srv/private" not in str(e)
    assert "/srv/private" in caplog.text   # the server's log has it


def test_an_upload_extends_a_shipped_scenario_by_name():
    s = load_upload("mine.toml", b'extends = "resilient"\nname = "mine"\n[run]\nmonths = 100\n')
    assert s.name == "mine" and s.run.months == 100
    assert s.institutions == scenario_module.load_scenario("resilient").institutions
    e = refused("mine.toml", b'extends = "resilent"\n')
    assert "did you mean 'resilient'?" in str(e)


@pytest.mark.parametrize("name", ["/etc/passwd", "../scenarios/default", "default.toml",
                                  "./default", "default\x00", "", "DEFAULT"])
def test_the_scenario_picker_takes_only_shipped_names(name):
    with pytest.raises(InputError, match="not a shipped scenario"):
        load_shipped(name)
    assert load_shipped("default") == scenario_module.load_scenario("default")


def test_the_app_names_scenarios_only_through_the_sandboxed_loaders():
    """The page imports no loader that takes a path: from ``scenario`` only ``available``; the
    scenarios it loads come from ``load_shipped`` and ``load_upload``."""
    source = (Path(uploads.__file__).parent / "app.py").read_text(encoding="utf-8")
    imported = {alias.name for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom) and node.module == "scenario"
                for alias in node.names}
    assert imported == {"available"}
    assert "open(" not in source and "Path(" not in source


# ---- fuzzing the upload handler ---------------------------------------------------------------

def _hostile_extends(secret: Path) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from([*available(), "/etc/passwd", "../../secret.toml", str(secret),
                         os.path.relpath(secret, Path(tempfile.gettempdir()) / "x"),
                         "secret", "default.toml", "~/.ssh/id_rsa", "\x00", "default\x00"]),
        st.text(max_size=40), st.integers(), st.lists(st.text(max_size=5), max_size=3))


KEYS = ["name", "run", "months", "population", "groups", "share", "government", "stages",
        "killing_scale", "policies", "interventions", "kind", "extends", "x", "a\nb", "\x00"]
scalars = st.one_of(st.integers(-10**20, 10**20), st.floats(), st.booleans(),
                    st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=12)


@st.composite
def uploads_(draw, secret: Path) -> tuple[str, bytes]:
    filename = draw(st.one_of(st.text(max_size=30).map(lambda t: t + ".toml"),
                              st.text(max_size=30), st.sampled_from(
        ["s.toml", "../../s.toml", "s\x00.toml", "/etc/passwd", "a/b\\c.toml", ".toml"])))
    kind = draw(st.sampled_from(["toml", "mutated", "shipped", "bytes", "deep"]))
    if kind == "shipped":   # a shipped scenario's text with a few characters inserted
        text = scenario_module.resolve(draw(st.sampled_from(available()))).read_text("utf-8")
        i = draw(st.integers(0, len(text)))
        return filename, (text[:i] + draw(st.text(max_size=4)) + text[i:]).encode(
            "utf-8", "surrogatepass")
    if kind == "bytes":
        return filename, draw(st.binary(max_size=200))
    if kind == "deep":
        n = draw(st.integers(1, 6000))
        open_, close = draw(st.sampled_from([("[", "]"), ("{a=", "}")]))
        return filename, f"x = {open_ * n}1{close * n}\n".encode()
    data = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=6))
    if draw(st.booleans()):
        data["extends"] = draw(_hostile_extends(secret))
    text = tomli_w.dumps(data)
    if kind == "mutated" and text:
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.text(max_size=8)) + text[i:]
    return filename, text.encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_the_upload_handler(secret_file, data):
    """Whatever a browser sends, the handler returns a validated scenario or raises one
    InputError naming the sanitized file name, reads no file but the shipped scenarios, and
    never shows the secret."""
    filename, payload = data.draw(uploads_(secret_file))
    read, patch = reads_only_shipped()
    with patch:
        try:
            result = load_upload(filename, payload)
        except InputError as e:
            event(f"refused: {e.problems[0][1][:25]}")
            name = safe_name(filename)
            assert e.source == name and "\x00" not in name and "/" not in name
            text = str(e)
            assert SECRET not in text and "Traceback" not in text
            # every refusal is a diagnosis, never the catch-all of an internal error
            assert "an error of the application" not in text, text
            assert all(line.startswith(f"{name}: ") for line in text.splitlines()), text
        else:
            event("loaded")
            assert isinstance(result, Scenario)
    assert all(p.parent == scenario_dir().resolve() for p in read), read
