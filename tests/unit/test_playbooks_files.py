"""Playbook files: the shipped library loads, and what is wrong with a file is named with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from playbooks.catalogue import LIBRARY, Catalogue
from playbooks.validate import load_file, validate_paths
from web.cli import main

COMPLAINT = (LIBRARY / "complaint.yaml").read_text(encoding="utf-8")


def _copy(tmp_path: Path, text: str, name: str = "complaint.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def _messages(path: Path) -> list[str]:
    return [str(problem) for problem in load_file(path).problems]


def test_the_shipped_library_has_no_problems() -> None:
    loaded, problems = validate_paths([LIBRARY])
    assert problems == []
    ids = {item.playbook.id for item in loaded if item.playbook is not None}
    assert ids == {
        "inquiry",
        "complaint",
        "after_sales",
        "requirement_intake",
        "partner_delivery_delay",
        "supplier_quality_complaint",
    }
    assert any(item.snippets is not None for item in loaded)


def test_an_undeclared_variable_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    text = COMPLAINT.replace("目前的进展是：{{ progress_note }}", "目前的进展是：{{ progress_notes }}")
    path = _copy(tmp_path, text)
    line = _line_of(text, "{{ progress_notes }}")
    messages = _messages(path)
    assert f"{path}:{line}: templates.holding.text.zh-CN: variable progress_notes is not declared" in messages
    # The two languages now read different variables: named too, at the text's line.
    assert any("the languages use different variables" in m for m in messages)


def test_a_variable_missing_in_one_language_fails(tmp_path: Path) -> None:
    text = COMPLAINT.replace(
        "about order {{ fields.order_no }}: after checking", "about your order: after checking"
    )
    path = _copy(tmp_path, text)
    assert _messages(path) == [
        f"{path}:{_line_of(text, '  proposal:') + 3}: template proposal: the languages use different variables"
        " (zh-CN: contact.display_name, fields.order_no, remedy; en: contact.display_name, remedy)"
    ]


def test_a_forbidden_phrase_in_a_template_fails_the_load(tmp_path: Path) -> None:
    text = COMPLAINT.replace("请您放心。", "这不算大事。")
    path = _copy(tmp_path, text)
    line = _line_of(text, "这不算大事。")
    assert (
        f"{path}:{line}: templates.holding.text.zh-CN: says the forbidden phrase '这不算大事'"
        in _messages(path)
    )


def test_the_sandbox_refuses_a_template_reaching_for_internals(tmp_path: Path) -> None:
    text = COMPLAINT.replace("很高兴问题", "{{ ''.__class__.__mro__ }}").replace(
        "现在都处理好了吗？", "现在都处理好了吗？{{ ''.__class__ }}"
    )
    messages = _messages(_copy(tmp_path, text))
    assert any("attribute __class__ is unsafe" in m for m in messages), messages


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("due: {within: 3bd}", "due: {within: 3 days}", "steps.6.due.within: '3 days' is not a duration"),
        ("- {set_priority: high}", "- {set_priority: highest}", "action set_priority: must be one of"),
        ("- {add_tag: complaint}", "- {launch_rockets: true}", "unknown action 'launch_rockets'"),
        ("- {add_tag: complaint}", "- {send_csat: {min_delay: 1h}}", "action send_csat: must be true"),
        ("- {add_tag: complaint}", "- {schedule_followup: 3 days}", "action schedule_followup: '3 days'"),
        (
            "- {add_tag: complaint}",
            "- {schedule_followup: {after: 1bd, who: boss}}",
            "schedule_followup: takes only after and note",
        ),
        (
            "- {add_tag: complaint}",
            "- {webhook: {url: 'https://erp.example/hook', secret_env: 'hunter2 in clear'}}",
            "secret_env must be an environment variable's name",
        ),
        (
            "- {add_tag: complaint}",
            "- {webhook: {url: 'ftp://erp.example/hook', secret_env: ERP_SECRET}}",
            "url must be an http(s) address",
        ),
        (
            "- {add_tag: complaint}",
            "- {webhook: {url: 'https://erp.example/hook'}}",
            "needs exactly one secret",
        ),
        ("  manual: true\n", "  csat_at_most: 7\n  manual: true\n", "csat_at_most must be a survey rating"),
        ("  - id: holding\n", "  - id: propose\n", "step id 'propose' is used twice"),
        ("goto: escalate_now}", "goto: nowhere}", "goto 'nowhere' must be a later step"),
        (
            "title: {zh-CN: 内部核实, en: Check internally}",
            "title: {zh-CN: 内部核实}",
            "the en text is missing",
        ),
        (
            "kind: checklist\n    title: {zh-CN: 内部核实",
            "kind: todo\n    title: {zh-CN: 内部核实",
            "step kind 'todo'",
        ),
        ("version: 1", "version: one", "Expected `int`, got `str` (version)"),
        (
            "    required: true\n    due: {within: 3bm}",
            "    required: yes please\n    due: {within: 3bm}",
            "Expected `bool`",
        ),
        (
            "  - id: investigate\n",
            "  - id: investigate\n    colour: red\n",
            "unknown field `colour` (steps.4.colour)",
        ),
    ],
)
def test_each_problem_is_reported_at_its_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in COMPLAINT
    text = COMPLAINT.replace(old, new, 1)
    path = _copy(tmp_path, text)
    line = _line_of(text, new.strip().splitlines()[-1] if "colour" in new else new.strip().splitlines()[0])
    messages = _messages(path)
    assert any(m.startswith(f"{path}:") and expected in m for m in messages), messages
    if "Expected `bool`" not in expected:
        assert any(m.startswith(f"{path}:{line}:") for m in messages), (line, messages)


def test_a_wechat_text_over_the_limit_fails(tmp_path: Path) -> None:
    long = "很长的话" * 200
    text = COMPLAINT.replace(
        "      phone:\n        script:",
        f"      wechat:\n        text: {{zh-CN: '{long}', en: short}}\n      phone:\n        script:",
    )
    messages = _messages(_copy(tmp_path, text))
    assert any("over wechat's 680" in m for m in messages), messages


def test_broken_yaml_and_a_wrong_file_name_are_reported(tmp_path: Path) -> None:
    broken = _copy(tmp_path, "schema: hub.playbook/v1\nid: [unclosed\n", "broken.yaml")
    assert _messages(broken)[0].startswith(f"{broken}:3: not valid YAML")
    renamed = _copy(tmp_path, COMPLAINT, "other.yaml")
    assert f"{renamed}:3: id 'complaint' must match the file name other.yaml" in _messages(renamed)


def test_validate_command_prints_problems_and_fails(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(main, ["playbooks", "validate"], prog_name="hub")
    assert good.exit_code == 0, good.output
    path = _copy(tmp_path, COMPLAINT.replace("- {add_tag: complaint}", "- {add_tags: complaint}"))
    bad = runner.invoke(main, ["playbooks", "validate", str(tmp_path)], prog_name="hub")
    assert bad.exit_code == 1
    assert f"{path}:{_line_of(COMPLAINT, '- {add_tag: complaint}')}: unknown action 'add_tags'" in bad.stdout


def test_list_json_gives_id_version_scenario_and_both_titles(tmp_path: Path) -> None:
    company = tmp_path / "company"
    company.mkdir()
    _copy(company, COMPLAINT.replace("version: 1", "version: 2").replace("客户投诉处理", "本公司投诉处理"))
    result = CliRunner().invoke(
        main, ["playbooks", "list", "--json"], prog_name="hub", env={"HUB_PLAYBOOKS_DIR": str(company)}
    )
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["inquiry"]["scenario"] == "inquiry"
    assert rows["inquiry"]["title"] == {
        "zh-CN": "客户咨询（产品、价格、订单进度）",
        "en": "Client inquiry (product, price, order status)",
    }
    # The company's folder replaces the shipped complaint playbook.
    assert rows["complaint"]["version"] == 2
    assert rows["complaint"]["title"]["zh-CN"] == "本公司投诉处理"
    assert rows["complaint"]["source"].startswith(str(company))


def test_replies_fill_in_per_channel_and_block_on_a_missing_value() -> None:
    catalogue = Catalogue([LIBRARY])
    version = catalogue.current("complaint")
    assert version is not None
    values = {
        "contact.display_name": "王女士",
        "agent.display_name": "小李",
        "ticket.number": "10001",
        "sla.resolution_due_local": "2026-12-09 17:00",
    }
    email = catalogue.render(version.document, "ack", locale="zh-CN", channel="email", values=values)
    assert email.subject == "您的反馈已收到（工单 10001）"
    assert email.text.startswith("王女士您好：")
    phone = catalogue.render(version.document, "ack", locale="en", channel="phone", values=values)
    assert phone.script_only and "Let the client finish" in phone.text
    chat = catalogue.render(version.document, "ack", locale="zh-CN", channel="webchat", values=values)
    assert chat.variant == "text" and "2026-12-09 17:00" in chat.text
    from hub.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"no value for sla\.resolution_due_local"):
        catalogue.render(
            version.document,
            "ack",
            locale="zh-CN",
            channel="webchat",
            values={**values, "sla.resolution_due_local": ""},
        )
    # Outside the WeChat window only a template variant may go; the complaint's ack has none.
    with pytest.raises(InvalidInput, match="no WeChat template variant"):
        catalogue.render(
            version.document, "ack", locale="zh-CN", channel="wechat", values=values, template_fallback=True
        )


def test_tone_rules_warn_block_and_ask_for_an_apology_first() -> None:
    catalogue = Catalogue([LIBRARY])
    version = catalogue.current("complaint")
    assert version is not None
    issues = catalogue.tone(version.document, "您别急，这不算大事。", locale="zh-CN", first_reply=True)
    assert [(i.phrase, i.severity, i.rule) for i in issues] == [
        ("您别急", "warn", "forbidden"),
        ("这不算大事", "block", "forbidden"),
        ("抱歉 / 歉意 / 对不起", "block", "missing"),
    ]
    assert catalogue.tone(version.document, "Sorry, please CALM  down.", locale="en", first_reply=True) == [
        catalogue.tone(version.document, "calm down", locale="en", first_reply=False)[0]
    ]


def test_validate_accepts_the_survey_follow_up_and_webhook_actions(tmp_path: Path) -> None:
    actions = (
        "- {add_tag: complaint}\n"
        "  - {send_csat: true}\n"
        "  - {schedule_followup: 1bd}\n"
        "  - {schedule_followup: {after: 2bh, note: 回电 call back}}\n"
        "  - {webhook: {url: 'https://erp.example/hooks/complaint', secret_env: ERP_HOOK_SECRET}}\n"
        "  - {webhook: {url: 'http://127.0.0.1:9000/hook', channel: 6f1d3c52-8a4e-4b7f-9f0e-2c5d7a1b9e34}}"
    )
    text = COMPLAINT.replace("- {add_tag: complaint}", actions).replace(
        "  manual: true\n", "  manual: true\n  csat_at_most: 2\n"
    )
    _copy(tmp_path, text)
    result = CliRunner().invoke(main, ["playbooks", "validate", str(tmp_path)], prog_name="hub")
    assert result.exit_code == 0, result.output
