"""Command-line interface (Typer); thin wrappers over the library."""
