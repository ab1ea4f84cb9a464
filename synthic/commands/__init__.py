"""One module per `synthic` subcommand: `add_parser(subparsers)` and `run(args) -> int`."""
