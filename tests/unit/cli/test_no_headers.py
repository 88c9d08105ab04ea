"""`kubelite get --no-headers`, as kubectl's: the default, wide and
custom-columns tables without their header line (columns as wide as the rows
alone need), for one type, several (get pods,nodes) and the rows of -w;
other outputs unchanged. Pure functions, no cluster."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import main
from cli.output import render, rows_for, table
from cli.verbs_read import table_widths, types_tables, watch_row
from kubelite import api

Obj = dict[str, Any]


def pod(name: str, phase: str = "Running", node: str = "node-1") -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": phase}}


PODS = [pod("web"), pod("db", "Pending")]
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.30.0"}}}
pods_info = api.resource_by_name("pods")


def test_table_without_its_header_is_as_wide_as_its_rows() -> None:
    rows = [["a", "1"], ["bb", "22"]]
    assert table(rows, ["NAME", "VALUE"]) == "NAME   VALUE\na      1\nbb     22"
    assert table(rows, ["NAME", "VALUE"], no_headers=True) == "a    1\nbb   22"
    assert table([], ["NAME", "VALUE"], no_headers=True) == ""


@pytest.mark.parametrize("output", [None, "wide", "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName"])
def test_table_outputs_leave_out_the_header(output: str | None) -> None:
    with_header = render(pods_info, PODS, output, False).splitlines()
    without = render(pods_info, PODS, output, False, no_headers=True).splitlines()
    assert with_header[0].startswith("NAME") and len(with_header) == 3
    assert [line.split() for line in without] == [line.split() for line in with_header[1:]]
    assert without[0].startswith("web ") and without[1].startswith("db ")


def test_all_namespaces_and_labels_columns_too() -> None:
    lines = render(pods_info, PODS, None, True, show_labels=True, no_headers=True).splitlines()
    assert [line.split()[:2] for line in lines] == [["default", "web"], ["default", "db"]]
    assert all(line.split()[-1] == "<none>" for line in lines)


@pytest.mark.parametrize("output", ["json", "yaml", "name", "jsonpath={.items[*].metadata.name}"])
def test_other_outputs_are_unchanged(output: str) -> None:
    assert render(pods_info, PODS, output, False, no_headers=True) == render(pods_info, PODS, output, False)


def test_several_types_each_without_a_header() -> None:
    found = [(pods_info, PODS), (api.resource_by_name("nodes"), [NODE])]
    shown = types_tables(found, None, False, False, no_headers=True)
    pods_part, nodes_part = shown.split("\n\n")
    assert [line.split()[0] for line in pods_part.splitlines()] == ["pod/web", "pod/db"]
    assert nodes_part.split()[:2] == ["node/node-1", "Ready"]
    assert "NAME" not in shown
    assert types_tables(found, None, False, False, no_headers=False).count("NAME") == 2


def test_table_widths_count_the_header_only_when_it_is_printed() -> None:
    rows = [["web", "0/1", "Running", "0", "1d"]]
    header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table_widths(rows, header, no_headers=False) == [4, 5, 7, 8, 3]
    assert table_widths(rows, header, no_headers=True) == [3, 3, 7, 1, 2]


def test_watch_rows_line_up_with_a_headerless_table() -> None:
    # what get prints first, and the widths it keeps for the watch: from the rows alone
    first = render(pods_info, [pod("web")], None, False, no_headers=True)
    header, rows = rows_for(pods_info, [pod("web")], None, False)
    widths = table_widths(rows, header, no_headers=True)
    line, widths = watch_row(pods_info, pod("web", "Succeeded"), None, False, False, True, widths)
    assert line.split()[:3] == ["web", "0/1", "Succeeded"]
    assert line.index("0/1") == first.index("0/1") == len("web   ")  # NAME as wide as "web", not "NAME"
    assert widths[2] == len("Succeeded")  # columns only widen
    line, _ = watch_row(pods_info, pod("web"), None, False, False, True, widths)
    assert line.index("0   ") == line.index("Running") + len("Succeeded   ")


def test_watch_rows_under_a_header_keep_its_widths() -> None:
    first = render(pods_info, [pod("web")], None, False)
    header, rows = rows_for(pods_info, [pod("web")], None, False)
    line, _ = watch_row(pods_info, pod("web"), None, False, False, False, table_widths(rows, header, False))
    assert line == first.splitlines()[1]
    assert line.index("0/1") == len("NAME   ")


def test_a_watch_with_no_table_above_sizes_from_its_row() -> None:
    line, widths = watch_row(pods_info, pod("web"), None, False, False, True, [])
    assert widths[0] == 3 and line.startswith("web   0/1")
    line, widths = watch_row(pods_info, pod("web"), None, False, False, False, [])
    assert widths[0] == 4 and line.startswith("web    0/1")


def test_get_takes_the_flag() -> None:
    result = CliRunner().invoke(main, ["get", "--help"])
    assert result.exit_code == 0
    assert "--no-headers" in result.output and "don't print headers" in result.output
