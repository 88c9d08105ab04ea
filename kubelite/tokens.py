"""Static bearer tokens, kube-apiserver's --token-auth-file format:
one `token,user,uid,"group1,group2"` line per token (groups optional)."""

from __future__ import annotations

import csv
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenUser:
    name: str
    uid: str
    groups: tuple[str, ...]


def load_token_file(path: str) -> dict[str, TokenUser]:
    """Token -> user. A malformed line raises ValueError naming file:line."""
    tokens: dict[str, TokenUser] = {}
    try:
        with open(path, newline="") as f:
            for number, row in enumerate(csv.reader(f), start=1):
                if not row or (len(row) == 1 and not row[0].strip()) or row[0].startswith("#"):
                    continue
                if len(row) < 3:
                    raise ValueError(f"{path}:{number}: want token,user,uid[,\"group1,group2\"], "
                                     f"got {len(row)} field(s)")
                token, name, uid = (cell.strip() for cell in row[:3])
                if not token or not name:
                    raise ValueError(f"{path}:{number}: token and user must not be empty")
                if token in tokens:
                    raise ValueError(f"{path}:{number}: duplicate token")
                groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 else ()
                tokens[token] = TokenUser(name, uid, groups)
    except OSError as err:
        raise ValueError(f"cannot read token file {path}: {err.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"cannot read token file {path}: {err}") from None
    return tokens
