"""panel-assistant: cited answers about the UN High-level Panel on Digital Cooperation."""
