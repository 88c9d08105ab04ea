"""kubectl label/annotate argument forms: TYPE NAME... KEY=VAL... KEY-."""

from __future__ import annotations

import pytest

from cli.verbs_metadata import parse_changes, split_targets


def test_targets_then_changes() -> None:
    assert split_targets("pods", ("web", "db", "tier=front", "old-")) == ("pods", ["web", "db"],
                                                                          ["tier=front", "old-"])
    assert split_targets("node/node-1", ("disktype=ssd",)) == ("node", ["node-1"], ["disktype=ssd"])
    assert split_targets("pods", ("a=",)) == ("pods", [], ["a="])


def test_changes_set_and_remove() -> None:
    assert parse_changes(["tier=front", "empty=", "old-"], "label") == ({"tier": "front", "empty": ""}, ["old"])


@pytest.mark.parametrize(("args", "message"), [
    (["=x"], "error: invalid label spec: =x"),
    (["tier=a", "tier-"], "error: can not both modify and remove the following label(s) in the same command: tier"),
])
def test_bad_changes_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_changes(args, "label")
    assert exit_.value.code == 1 and capsys.readouterr().err.strip() == message
