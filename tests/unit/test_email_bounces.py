"""Every shape of bounce in tests/fixtures/email/bounces (written by build_bounces.py) is read as a
bounce naming the recipient, the action and our Message-ID when it carries one; every look-alike
written by a person, or by a person's auto-reply, stays ordinary mail."""

from __future__ import annotations

import uuid

import pytest

from channels.email.parse import Mailbox, parse
from tests.fixtures.email.bounces.build_bounces import HERE, LOOKALIKES, OUR_ID, SAMPLES, Sample

MAILBOX = Mailbox(
    channel_id=uuid.UUID(int=1),
    our_addresses=frozenset({"support@hub.example"}),
    our_domains=frozenset({"hub.example"}),
)


def test_the_files_on_disk_are_what_the_builder_writes() -> None:
    expected = {f"{s.name}.eml": s.raw for s in SAMPLES} | {
        f"lookalike_{name}.eml": raw for name, raw in LOOKALIKES.items()
    }
    assert {p.name for p in HERE.glob("*.eml")} == set(expected)
    for name, raw in expected.items():
        assert (HERE / name).read_bytes() == raw, f"{name} is stale: run build_bounces.py"


def test_the_corpus_covers_many_shapes() -> None:
    assert len(SAMPLES) >= 40 and len({s.name for s in SAMPLES}) == len(SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_each_bounce_shape_is_read_as_a_bounce(sample: Sample) -> None:
    parsed = parse((HERE / f"{sample.name}.eml").read_bytes(), MAILBOX)
    assert parsed.kind == "bounce", f"{sample.mta}: read as {parsed.kind}"
    bounce = parsed.bounce
    assert bounce is not None
    assert sample.recipient in bounce.recipients
    assert bounce.action == sample.action
    assert (OUR_ID in bounce.original_ids) is sample.carries_id
    assert bounce.reason


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_look_alikes_stay_ordinary_mail(name: str) -> None:
    parsed = parse((HERE / f"lookalike_{name}.eml").read_bytes(), MAILBOX)
    assert parsed.kind == "message" and parsed.message is not None
