"""User-facing labels in English and Chinese (``labels.csv``: key,en,zh)."""
