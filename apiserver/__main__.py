"""`python -m apiserver` runs the API server, like `kubelite-apiserver`."""

from apiserver.cli import main

main()
