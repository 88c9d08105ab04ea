"""--controllers reads as kube-controller-manager's flag."""

import pytest

from controllers import manager


def test_star_selects_all_and_a_minus_leaves_one_out() -> None:
    assert manager.select("*") == list(manager.ALL)
    assert "namespace" not in manager.select("*,-namespace") and "deployment" in manager.select("*,-namespace")
    assert manager.select("replicaset,deployment") == ["replicaset", "deployment"]
    assert manager.select("-namespace,*") == [c for c in manager.ALL if c != "namespace"]


def test_an_unknown_controller_is_named() -> None:
    with pytest.raises(ValueError, match='"replicaset2" is not in the list of known controllers'):
        manager.select("replicaset2")
