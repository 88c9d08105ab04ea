"""Garbage in, one clean error out: kubeconfig files and manifests of any shape
or bytes end in a KubeconfigError or the CLI's exit 1, never a traceback."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from cli.manifests import info_for, read_manifests
from kubelite import kubeconfig

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                    st.sampled_from(["kubelite", "admin", "ca.crt", "Y2E=", "!!", "default"]))
keys = st.sampled_from(["clusters", "users", "contexts", "current-context", "name", "cluster", "user", "context",
                        "server", "certificate-authority", "certificate-authority-data", "client-certificate",
                        "client-key-data", "token", "namespace", "apiVersion", "kind", "metadata"])
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


def _write(directory: str, content: bytes) -> Path:
    path = Path(directory) / "config.yaml"
    path.write_bytes(content)
    return path


@settings(max_examples=300, deadline=None)
@given(trees)
def test_any_kubeconfig_shape_is_used_or_refused_with_a_kubeconfig_error(tree: Any) -> None:
    with TemporaryDirectory() as tmp:
        path = _write(tmp, yaml.safe_dump(tree).encode())
        try:
            kubeconfig.resolve(kubeconfig.load(str(path)))
        except kubeconfig.KubeconfigError:
            pass


@settings(max_examples=150, deadline=None)
@given(trees, st.sampled_from([("config", "get-contexts"), ("config", "view"), ("config", "current-context"),
                               ("config", "view", "--minify"), ("config", "use-context", "kubelite")]))
def test_config_verbs_on_any_kubeconfig_shape_answer_or_fail_in_one_line(tree: Any, verb: tuple[str, ...]) -> None:
    with TemporaryDirectory() as tmp:
        path = _write(tmp, yaml.safe_dump(tree).encode())
        result = CliRunner().invoke(main, ["--kubeconfig", str(path), *verb])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_any_kubeconfig_bytes_are_used_or_refused_with_a_kubeconfig_error(content: bytes) -> None:
    with TemporaryDirectory() as tmp:
        try:
            kubeconfig.resolve(kubeconfig.load(str(_write(tmp, content))))
        except kubeconfig.KubeconfigError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=64), trees.map(lambda t: yaml.safe_dump(t).encode())))
def test_any_manifest_file_is_read_or_refused_with_exit_1(content: bytes) -> None:
    with TemporaryDirectory() as tmp:
        path = _write(tmp, content)
        try:
            for label, doc in read_manifests((str(path),)):
                info_for(label, doc)
        except SystemExit as exit_:
            assert exit_.code == 1


@pytest.mark.parametrize("content", [b"\x00\x01", b"\xff\xfe garbage", b"kind: [\n"])
def test_unreadable_manifests_name_the_file(content: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    with TemporaryDirectory() as tmp:
        path = _write(tmp, content)
        with pytest.raises(SystemExit) as exit_:
            read_manifests((str(path),))
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: error parsing {path}") and len(err.splitlines()) == 1
