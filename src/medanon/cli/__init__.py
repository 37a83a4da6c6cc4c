"""The command-line interface: one module per subcommand, assembled in :mod:`medanon.cli.main`."""
