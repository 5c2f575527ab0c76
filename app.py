"""Starts the panel-assistant web UI (see ``assistant/ui``)."""

from assistant.ui.launch import main

if __name__ == "__main__":
    main()
