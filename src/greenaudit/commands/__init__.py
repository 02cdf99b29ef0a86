"""The `greenaudit` subcommands: argument parsing and dispatch to the stage's package.

`workflow` holds the subcommands the rules of workflow/rules/*.smk call, `tools` those for
people. Each subcommand is an `_add_<name>` function beside its handler.
"""
