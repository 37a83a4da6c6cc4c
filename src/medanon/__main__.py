"""``python -m medanon``: the same as the ``medanon`` command."""

from medanon.cli.main import main

main()
