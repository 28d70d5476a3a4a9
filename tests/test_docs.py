from escalation_sim.docs import ODD, main, render


def test_odd_parameter_table_is_up_to_date():
    assert main(check=True) == 0, "run `uv run escalation-sim docs`"


def test_every_parameter_documents_unit_and_provenance():
    from escalation_sim.docs import rows

    metadata = {"`name`", "`title`", "`brief`", "`sources`", "`key_parameters`",
                "`groups[].name`",
                "`armed_groups[].name`", "`policies.NAME.description`",
                "`international.council[].name`", "`international.sponsors[].name`",
                "`international.neighbours[].name`"}
    for path, meaning, unit, _default, provenance, value in rows():
        assert meaning, path
        if path not in metadata:
            assert unit and provenance and value, path


def test_every_parameter_says_where_its_value_comes_from():
    """A citation of the mechanism must not pass for a sourced number: every parameter (every
    leaf field but the names and texts, and every number, whatever its declaration) declares the
    source of its value — an assumption, a calibration, the scenario or policy, or a cited
    estimate with its datum."""
    import typing

    from escalation_sim.declare import valid_value_source
    from escalation_sim.docs import fields

    texts = {"name", "title", "brief", "sources", "description", "key_parameters"}
    missing = []
    for path, field in fields():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        numeric = {int, float} & {field.annotation, *typing.get_args(field.annotation)}
        if path.rsplit(".", 1)[-1] in texts and not numeric:
            continue
        if not valid_value_source(str(extra.get("value", ""))):
            missing.append(path)
        elif extra["value"] not in ("assumption", "section"):
            # the one-line provenance that `scenarios show` and the trainer print carries it too
            assert extra["provenance"].endswith(f"value: {extra['value']}"), path
    assert not missing, f"no (valid) value source: {missing}"
    assert valid_value_source("cited: Ulfelder & Valentino 2008: 1,000 deaths")
    assert not valid_value_source("R16 §28") and not valid_value_source("cited: R16 §28")


def test_render_replaces_only_between_markers():
    text = ODD.read_text()
    assert render(text) == render(render(text))


def test_the_shipped_json_schema_accepts_every_shipped_file_and_catches_mistakes():
    """What an editor does with docs/scenario.schema.json: validate the raw files as written
    (with ``extends``), and flag a typo, a wrong type, a value out of range, an unknown
    intervention kind and a missing section."""
    import json
    import tomllib

    import jsonschema

    from escalation_sim.docs import SCHEMA_FILE
    from escalation_sim.scenario import available, json_schema, resolve

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema == json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for name in available():
        raw = tomllib.loads(resolve(name).read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(raw)), name
    base = tomllib.loads(resolve("default").read_text(encoding="utf-8"))
    for bad in ({**base, "rnu": {}}, {**base, "run": {"months": "ten"}},
                {**base, "run": {"months": 0}},
                {**base, "policies": {"p": {"interventions": [{"kind": "sanction"}]}}},
                {k: v for k, v in base.items() if k != "government"},
                {"extends": "default", "government": {"complicity": 2.0}}):
        assert list(validator.iter_errors(bad)), bad
    assert not list(validator.iter_errors({"extends": "default", "government": {
        "complicity": 0.5}})), "a variant may leave out what its parent sets"


def test_scenarios_page_lists_every_shipped_scenario_and_every_key():
    from escalation_sim.docs import SCENARIOS_PAGE, fields
    from escalation_sim.scenario import available

    page = SCENARIOS_PAGE.read_text(encoding="utf-8")
    for name in available():
        assert f"### `{name}`" in page
    for path, _ in fields():
        assert f"| `{path}` |" in page
