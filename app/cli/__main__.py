"""``python -m app.cli``: the ``hocovisio`` command."""

from app.cli.main import main

main()
