"""`python -m etcdlite` runs one member, exactly like the `etcdlite` command."""

from etcdlite.cli import main

main()
