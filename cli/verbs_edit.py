"""`kubelite edit TYPE NAME`: the object as YAML in $KUBE_EDITOR or $EDITOR
(default vi), then an update on the resourceVersion it was read at, as kubectl
edit. A change that cannot be saved (invalid, or the object changed meanwhile)
is kept in a file whose path the error line names."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

import click
import yaml

from cli.base import ApiClient, fail, main, namespace_option, run_api
from cli.verbs_write import report
from kubelite import api, yamlload
from kubelite.errors import StatusError

HEADER = ("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
          "# and an empty file will abort the edit. If an error occurs while saving, the\n"
          "# error line names a file that keeps your changes.\n#\n")


def editor_command() -> list[str]:
    return shlex.split(os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi")


def without_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("#"))


@main.command()
@click.argument("resource")
@click.argument("name", required=False, default="")
@click.option("-o", "--output", type=click.Choice(["json", "yaml", "name"]), default=None,
              help="Print the saved object (json, yaml) or its name instead of the result line.")
@namespace_option
@click.pass_context
def edit(ctx: click.Context, resource: str, name: str, output: str | None) -> None:
    """Edit a resource in your editor: edit pod web, edit node/node-1."""
    if "/" in resource and not name:
        resource, _, name = resource.partition("/")
    if not name:
        fail("error: edit needs a resource name (edit pod web)")

    async def body(client: ApiClient, namespace: str) -> None:
        info = api.resource_by_name(resource)
        current = await client.get(info.resource, name, namespace)
        original = yaml.safe_dump(current, sort_keys=False)
        with tempfile.NamedTemporaryFile("w", prefix=f"kubelite-edit-{name}-", suffix=".yaml",
                                         delete=False) as f:
            f.write(HEADER + original)
            path = Path(f.name)
        try:
            code = subprocess.call([*editor_command(), str(path)])
        except OSError as err:
            fail(f"error: cannot run the editor {editor_command()[0]!r}: {err.strerror} (set KUBE_EDITOR or EDITOR)")
        if code != 0:
            fail(f"error: the editor exited with status {code}; your changes are in {path}")
        edited_text = without_comments(path.read_text())
        if not edited_text.strip():
            path.unlink()
            fail("Edit cancelled, no changes made.", code=0)
        try:
            edited = yamlload.load(edited_text, str(path))
        except yaml.YAMLError as err:
            fail(f"error: the edited file is not valid YAML ({str(err).splitlines()[0]}); your changes are in {path}")
        if edited == yaml.safe_load(original):
            path.unlink()
            fail("Edit cancelled, no changes made.", code=0)
        if not isinstance(edited, dict):
            fail(f"error: the edited file must hold one object; your changes are in {path}")
        try:
            saved = await client.update(info.resource, edited, namespace)
        except StatusError as err:
            fail(f"error: {err.message}; your changes are in {path}")
        path.unlink()
        report(info, saved, "edited", "none", output)
    run_api(ctx, body)
