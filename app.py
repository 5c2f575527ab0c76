"""Starts the panel-assistant web UI (see ``ui/``)."""

import sys

from ui.launch import main

if __name__ == "__main__":
    sys.exit(main())
