"""Package data (see the README beside these files)."""
