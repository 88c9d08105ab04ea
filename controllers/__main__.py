"""`python -m controllers` runs the controller manager."""

from controllers.cli import main

main()
