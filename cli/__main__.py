"""`python -m cli` is the `kubelite` command."""

from cli.main import main

main()
