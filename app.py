"""Starts the panel-assistant web UI (see ``assistant/ui``)."""

import sys

from assistant.ui.launch import main

if __name__ == "__main__":
    sys.exit(main())
