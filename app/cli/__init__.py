"""The ``hocovisio`` command (``app.cli.main``), one module per group of subcommands."""
