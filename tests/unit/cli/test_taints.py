"""kubectl taint's specs and rules, without a cluster."""

from __future__ import annotations

import pytest

from cli.verbs_nodes import apply_taints, parse_taints

NODE = {"metadata": {"name": "node-1"}, "spec": {"taints": [{"key": "old", "effect": "NoExecute"}]}}


def test_specs_add_and_remove() -> None:
    adds, removes = parse_taints(["dedicated=lab:NoSchedule", "gpu:PreferNoSchedule", "old-", "x:NoExecute-"])
    assert adds == [{"key": "dedicated", "value": "lab", "effect": "NoSchedule"},
                    {"key": "gpu", "effect": "PreferNoSchedule"}]
    assert removes == [{"key": "old"}, {"key": "x", "effect": "NoExecute"}]


def test_apply_adds_replaces_with_overwrite_and_removes() -> None:
    added = apply_taints(NODE, [{"key": "a", "value": "1", "effect": "NoSchedule"}], [], False)
    assert added == [{"key": "old", "effect": "NoExecute"}, {"key": "a", "value": "1", "effect": "NoSchedule"}]
    node = {"metadata": {"name": "node-1"}, "spec": {"taints": added}}
    replaced = apply_taints(node, [{"key": "a", "value": "2", "effect": "NoSchedule"}], [{"key": "old"}], True)
    assert replaced == [{"key": "a", "value": "2", "effect": "NoSchedule"}]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: parse_taints(["dedicated=lab"]), "error: invalid taint spec: dedicated=lab"),
    (lambda: parse_taints(["k=v:Sometimes"]), "error: invalid taint effect: Sometimes, unsupported taint effect"),
    (lambda: apply_taints(NODE, [], [{"key": "nope"}], False), 'error: taint "nope" not found'),
    (lambda: apply_taints(NODE, [{"key": "old", "value": "v", "effect": "NoExecute"}], [], False),
     "error: node node-1 already has old taint(s) with same effect(s) and --overwrite is false"),
])
def test_mistakes_are_kubectls_one_line(call: object, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        call()  # type: ignore[operator]
    assert exit_.value.code == 1 and capsys.readouterr().err.strip() == message
