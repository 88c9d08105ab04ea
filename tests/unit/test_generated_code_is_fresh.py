"""The generated protobuf package must match proto/: regenerating it into a
temporary folder gives byte-identical files (run `make proto` when it fails)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kubelite_gen_matches_proto_sources() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "genproto.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
