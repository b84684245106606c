"""The scheduled daemon: every source on its schedule, the flag job after each run."""
