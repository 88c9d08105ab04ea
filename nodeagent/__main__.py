"""`python -m nodeagent` runs the node agent, like `kubelite-nodeagent`."""

from nodeagent.cli import main

main()
