from escalation_sim.docs import ODD, main, render


def test_odd_parameter_table_is_up_to_date():
    assert main(check=True) == 0, "run `uv run escalation-sim docs`"


def test_every_parameter_documents_unit_and_provenance():
    from escalation_sim.docs import rows

    metadata = {"`name`", "`title`", "`brief`", "`sources`", "`groups[].name`",
                "`armed_groups[].name`", "`policies.NAME.description`",
                "`international.council[].name`", "`international.sponsors[].name`",
                "`international.neighbours[].name`"}
    for path, meaning, unit, _default, provenance in rows():
        assert meaning, path
        if path not in metadata:
            assert unit and provenance, path


def test_render_replaces_only_between_markers():
    text = ODD.read_text()
    assert render(text) == render(render(text))
