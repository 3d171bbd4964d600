"""Project commands (``COMMANDS_MODULE``): ``crawl`` with checked arguments and exit codes."""
