"""Command line: ``gateway <command>``.  Each command lives in its own module
exposing ``add_parser(subparsers)``; ``main`` turns typed errors into exit codes."""
