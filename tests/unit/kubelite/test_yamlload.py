"""kubelite.yamlload, the loader for YAML a user wrote: the "billion laughs"
alias bomb (CVE-2019-11253) and self-containing anchors refused quickly and
in one line, everything yaml.safe_load reads otherwise read the same."""

from __future__ import annotations

import itertools
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from cli.manifests import read_manifests
from kubelite import kubeconfig, yamlload


def laughs(levels: int = 9, width: int = 9) -> str:
    """The billion-laughs mapping (indented two spaces): each level an anchored
    list of `width` aliases of the one before, the first `width` "lol"s."""
    names = "abcdefghijklmnopqrstuvwxyz"[:levels]
    lol = '"lol"'
    lines = [f"  {names[0]}: &{names[0]} [{','.join([lol] * width)}]"]
    lines += [f"  {name}: &{name} [{','.join([f'*{prev}'] * width)}]" for prev, name in itertools.pairwise(names)]
    return "\n".join(lines) + "\n"


def bomb(levels: int = 9, width: int = 9, key: str = "data") -> str:
    """A ConfigMap manifest with the laughs under `key`."""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n{key}:\n" + laughs(levels, width)


BOMB = bomb()

# a Deployment-like manifest that shares its pod template's labels and a container's defaults
ANCHORS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels {app: web, tier: front}
spec:
  selector: {matchLabels: *labels}
  template:
    metadata: {labels: *labels}
    spec:
      containers:
      - &base {name: web, image: nginx, imagePullPolicy: IfNotPresent}
      - <<: *base
        name: sidecar
        image: busybox
"""


def test_the_bomb_is_small_and_shaped_as_the_cve() -> None:
    assert len(BOMB) < 1024
    assert BOMB.count("*") == 8 * 9


def test_the_bomb_is_refused_with_kubectls_words() -> None:
    with pytest.raises(yamlload.AliasingError) as caught:
        yamlload.load(BOMB, "bomb.yaml")
    assert str(caught.value) == yamlload.EXCESSIVE_ALIASING
    assert str(caught.value) == "error converting YAML to JSON: yaml: document contains excessive aliasing"
    assert caught.value.source == "bomb.yaml"
    assert isinstance(caught.value, yaml.YAMLError)  # what callers already handle
    with pytest.raises(yamlload.AliasingError):
        yamlload.load_all("a: 1\n---\n" + BOMB, "bomb.yaml")


def test_the_bomb_is_refused_in_bounded_time_and_memory() -> None:
    # a fresh interpreter, so that its peak memory is the load's own
    probe = ("import resource, sys, time\n"
             "from kubelite import yamlload\n"
             "text = sys.stdin.read()\n"
             "start = time.monotonic()\n"
             "try:\n"
             "    yamlload.load_all(text, 'bomb.yaml')\n"
             "except yamlload.AliasingError as err:\n"
             "    print(err)\n"
             "print(time.monotonic() - start)\n"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    # the address space capped at 1 GiB: a load that expanded the aliases would fail, not swap the machine
    limit = 1 << 30
    result = subprocess.run([sys.executable, "-c", probe], input=BOMB, capture_output=True, text=True, timeout=10,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    assert result.returncode == 0, result.stderr
    message, seconds, peak_kib = result.stdout.splitlines()
    assert message == yamlload.EXCESSIVE_ALIASING
    assert float(seconds) < 2
    assert int(peak_kib) < 200 * 1024  # the interpreter and its imports; 9**9 strings would be gigabytes


@pytest.mark.parametrize(("levels", "width"), [(9, 9), (30, 2), (5, 50), (3, 400)])
def test_bombs_of_other_shapes_stop_early(levels: int, width: int) -> None:
    start = time.monotonic()
    with pytest.raises(yamlload.AliasingError, match="excessive aliasing"):
        yamlload.load(bomb(levels, width), "bomb.yaml")
    assert time.monotonic() - start < 2


def test_merge_keys_cannot_multiply_either() -> None:
    # PyYAML copies merged pairs into each mapping: nine merges of nine merges of ... is the same bomb
    lines = ["l0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"]
    lines += [f"l{i}: &l{i} {{<<: [{', '.join([f'*l{i - 1}'] * 9)}]}}" for i in range(1, 9)]
    start = time.monotonic()
    with pytest.raises(yamlload.AliasingError):
        yamlload.load("\n".join(lines), "merge.yaml")
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("text", ["a: &a [*a]", "a: &a {b: *a}", "- &x\n  - [1, *x]\n"])
def test_an_anchor_that_contains_itself_is_refused_with_its_place(text: str) -> None:
    with pytest.raises(yamlload.AliasingError, match="anchor value contains itself") as caught:
        yamlload.load(text, "self.yaml")
    mark = caught.value.problem_mark
    assert mark is not None and mark.name == "self.yaml" and mark.line in (0, 1)


def test_legitimate_anchors_and_aliases_load_as_with_safe_load() -> None:
    doc = yamlload.load(ANCHORS, "web.yaml")
    assert doc == yaml.safe_load(ANCHORS)
    assert doc["spec"]["selector"]["matchLabels"] == {"app": "web", "tier": "front"}
    assert doc["spec"]["template"]["spec"]["containers"][1] == {"name": "sidecar", "image": "busybox",
                                                                "imagePullPolicy": "IfNotPresent"}


def test_many_aliases_of_a_small_anchor_are_fine() -> None:
    # 500 containers sharing one set of defaults: alias-heavy, but not out of proportion to the document
    text = "defaults: &d {image: nginx, imagePullPolicy: IfNotPresent, ports: [{containerPort: 80}]}\nitems:\n"
    text += "".join(f"- {{<<: *d, name: c{i}}}\n" for i in range(500))
    doc = yamlload.load(text, "many.yaml")
    assert len(doc["items"]) == 500 and doc["items"][499]["image"] == "nginx"


def test_multi_document_files() -> None:
    text = "a: &x {k: 1}\nb: *x\n---\n---\n- 1\n- 2\n...\n--- plain\n"
    assert yamlload.load_all(text, "multi.yaml") == list(yaml.safe_load_all(text))
    assert yamlload.load_all(text, "multi.yaml") == [{"a": {"k": 1}, "b": {"k": 1}}, None, [1, 2], "plain"]
    assert yamlload.load_all("", "empty.yaml") == []
    # anchors do not cross documents, and each document has its own budget
    assert yamlload.load_all("---\nx: &a [1]\ny: *a\n" * 50, "repeat.yaml") == [{"x": [1], "y": [1]}] * 50
    with pytest.raises(yaml.YAMLError):
        yamlload.load_all("a: &x 1\n---\nb: *x\n", "cross.yaml")


def test_load_is_safe_load() -> None:
    assert yamlload.load("", "empty.yaml") is None
    assert yamlload.load("{a: [1, 2.5, true, null, '3']}", "s") == {"a": [1, 2.5, True, None, "3"]}
    with pytest.raises(yaml.YAMLError, match="expected a single document"):
        yamlload.load("a: 1\n---\nb: 2\n", "two.yaml")
    with pytest.raises(yaml.YAMLError):  # no Python objects from tags, as safe_load
        yamlload.load("!!python/object/apply:os.system ['true']", "tag.yaml")


def test_parse_errors_name_the_source() -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yamlload.load("kind: [\n", "broken.yaml")
    assert caught.value.problem_mark is not None and caught.value.problem_mark.name == "broken.yaml"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(yaml.YAMLError):
        yamlload.load("[" * 20000 + "]" * 20000, "deep.yaml")


def test_the_alias_ratio_slides_as_go_yamls() -> None:
    assert yamlload.allowed_alias_ratio(1_000) == 0.99
    assert yamlload.allowed_alias_ratio(400_000) == 0.99
    assert yamlload.allowed_alias_ratio(2_200_000) == pytest.approx(0.545)
    assert yamlload.allowed_alias_ratio(4_000_000) == 0.10
    assert yamlload.allowed_alias_ratio(10_000_000) == 0.10


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6))
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                     max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(trees)
def test_any_plain_document_loads_as_with_safe_load(tree: Any) -> None:
    text = yaml.safe_dump(tree)
    assert yamlload.load(text, "t.yaml") == yaml.safe_load(text)
    assert yamlload.load_all(text + "---\n" + text, "t.yaml") == list(yaml.safe_load_all(text + "---\n" + text))


# ----------------------------------------------------------------- the CLI's side
def test_apply_refuses_the_bomb_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    start = time.monotonic()
    result = CliRunner().invoke(main, ["apply", "-f", str(path), "--dry-run=client"])
    assert time.monotonic() - start < 10
    assert result.exit_code == 1, result.output
    assert result.output.strip() == (f"error: error parsing {path}: error converting YAML to JSON: yaml: "
                                     "document contains excessive aliasing")


def test_the_kubelite_command_refuses_the_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    command = Path(sys.executable).parent / "kubelite"
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "cli"]
    result = subprocess.run([*argv, "apply", "-f", str(path), "--dry-run=client"], capture_output=True, text=True,
                            timeout=30, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: error parsing {path}: {yamlload.EXCESSIVE_ALIASING}"]


def test_read_manifests_reports_a_self_containing_anchor_with_its_place(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "self.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x, labels: *m}\n")
    with pytest.raises(SystemExit) as exit_:
        read_manifests((str(path),))
    assert exit_.value.code == 1
    assert capsys.readouterr().err.strip() == (f"error: error parsing {path}: line 3, column 11: "
                                               "anchor value contains itself")


def test_patch_refuses_the_bomb() -> None:
    # the laughs in flow style, on one line as -p takes them; refused before any server is asked
    flow = "{" + ", ".join(line.strip() for line in laughs().splitlines()) + "}"
    result = CliRunner().invoke(main, ["patch", "configmap", "lol", "-p", flow, "--type", "merge"])
    assert result.exit_code == 1
    assert result.output.strip() == f'error: unable to parse "{flow}": {yamlload.EXCESSIVE_ALIASING}'


def test_a_kubeconfig_bomb_is_a_kubeconfig_error(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("apiVersion: v1\nkind: Config\nclusters: []\npreferences:\n" + laughs())
    with pytest.raises(kubeconfig.KubeconfigError, match="excessive aliasing"):
        kubeconfig.load(str(path))


def test_the_pure_python_loader_refuses_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # where libyaml is not installed, yaml.SafeLoader does the parsing
    monkeypatch.setattr(yamlload, "_Loader", yaml.SafeLoader)
    with pytest.raises(yamlload.AliasingError, match="excessive aliasing"):
        yamlload.load_all(BOMB, "bomb.yaml")
    with pytest.raises(yamlload.AliasingError, match="contains itself"):
        yamlload.load("a: &a [*a]", "self.yaml")
    with pytest.raises(yaml.YAMLError, match=yamlload.TOO_DEEP):  # Python's stack ends before libyaml's limit
        yamlload.load("[" * 5000 + "]" * 5000, "deep.yaml")
    assert yamlload.load(ANCHORS, "web.yaml") == yaml.safe_load(ANCHORS)
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yamlload.load("kind: [\n", "broken.yaml")
    assert caught.value.problem_mark is not None and caught.value.problem_mark.name == "broken.yaml"
