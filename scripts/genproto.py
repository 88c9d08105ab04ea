"""Regenerates kubelite/gen from proto/: the one command behind `make proto`.

grpcio-tools writes absolute imports (``from etcdserverpb import rpc_pb2``) that
only work when the output folder is on sys.path; we rewrite them to point into
the ``kubelite.gen`` package so the generated code imports like any other module.
With ``--check`` it writes into a temporary folder and exits 1 if the committed
code differs, which is what the staleness test runs.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
GEN_PACKAGE = "kubelite.gen"
GEN_DIR = ROOT / "kubelite" / "gen"
HEADER = '"""Generated from proto/ by `make proto` (scripts/genproto.py). Do not edit."""\n'


def proto_packages() -> list[str]:
    """Top-level proto package folders, e.g. ['etcdlite', 'etcdserverpb', 'mvccpb']."""
    return sorted(p.name for p in PROTO_DIR.iterdir() if p.is_dir())


def generate(out_dir: Path) -> None:
    sources = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    import_re = re.compile(rf"^(from|import) ({'|'.join(map(re.escape, proto_packages()))})([. ])", re.M)
    for path in out_dir.rglob("*.py*"):
        text = import_re.sub(rf"\1 {GEN_PACKAGE}.\2\3", path.read_text())
        if path.suffix == ".py":
            text = HEADER + text
        path.write_text(text)
    for folder in [out_dir, *[p for p in out_dir.rglob("*") if p.is_dir()]]:
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text(HEADER)


def differs(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out = [*cmp.left_only, *cmp.right_only, *cmp.diff_files]
    for name, sub in cmp.subdirs.items():
        out += [f"{name}/{d}" for d in differs(Path(sub.left), Path(sub.right))]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if kubelite/gen is stale")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gen"
        out.mkdir()
        generate(out)
        stale = differs(out, GEN_DIR) if GEN_DIR.exists() else ["kubelite/gen missing"]
        if opts.check:
            if stale:
                print("kubelite/gen is stale; run `make proto`:", ", ".join(sorted(stale)), file=sys.stderr)
                return 1
            return 0
        if stale:
            import shutil

            shutil.rmtree(GEN_DIR, ignore_errors=True)
            shutil.copytree(out, GEN_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
