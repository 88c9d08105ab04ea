"""The `kubelite` command: kubectl's verbs against a kubelite API server, and
`up`/`down`/`status` for a whole cluster on this machine."""

import os

# gRPC's C core logs failed TLS handshakes at INFO on stderr; the CLI says what
# went wrong in its own one line instead.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
