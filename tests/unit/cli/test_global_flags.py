"""kubectl takes its global flags anywhere on the line; kubelite moves the ones
written after the verb in front of it, unless the verb has its own option of
that name."""

from __future__ import annotations

import click
import pytest

from cli.main import main


@pytest.mark.parametrize(("args", "expected"), [
    (["get", "pods", "--context", "dev"], ["--context", "dev", "get", "pods"]),
    (["auth", "can-i", "list", "pods", "--as", "jane", "--as-group", "g"],
     ["--as", "jane", "--as-group", "g", "auth", "can-i", "list", "pods"]),
    (["--trace", "apply", "-f", "x.yaml", "--request-timeout=5s"],
     ["--request-timeout=5s", "--trace", "apply", "-f", "x.yaml"]),
    (["get", "pods", "-n", "ns", "--trace"], ["--trace", "get", "pods", "-n", "ns"]),
    (["--context", "get", "get", "pods", "--as", "x"], ["--as", "x", "--context", "get", "get", "pods"]),
    (["config", "set-credentials", "bob", "--token", "t"], ["config", "set-credentials", "bob", "--token", "t"]),
    (["logs", "web", "--", "--as", "x"], ["logs", "web", "--", "--as", "x"]),
    (["no-such-verb", "--as", "x"], ["no-such-verb", "--as", "x"]),
    (["cordon", "node-1", "-s", "h:1"], ["-s", "h:1", "cordon", "node-1"]),
    (["cluster-info", "-n", "x"], ["-n", "x", "cluster-info"]),
])
def test_global_flags_after_the_verb_move_in_front(args: list[str], expected: list[str]) -> None:
    assert main._globals_first(click.Context(main), args) == expected  # type: ignore[attr-defined]
