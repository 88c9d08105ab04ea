"""`python -m scheduler` runs the scheduler, like `kubelite-scheduler`."""

from scheduler.cli import main

main()
