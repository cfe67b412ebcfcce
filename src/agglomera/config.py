"""Settings read from the environment (prefix ``AGGLOMERA_``); used by cli/ and web/ only."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path | None:
    """``../shared/data`` next to the working directory or the source checkout."""
    here = Path(__file__).resolve()
    candidates = [Path.cwd() / ".." / "shared" / "data"]
    candidates += [p / ".." / "shared" / "data" for p in here.parents[:4]]
    for cand in candidates:
        if cand.is_dir():
            return cand.resolve()
    return None


class Settings(BaseSettings):
    """Runtime settings.

    ``data_dir``: the shared public datasets (``AGGLOMERA_DATA_DIR``), defaulting to
    ``../shared/data`` when it exists. ``db``: the DuckDB file used when a command is not
    given ``--db``. ``aliases_file``: an extra header/metric alias file.
    """

    model_config = SettingsConfigDict(env_prefix="AGGLOMERA_", env_file=".env", extra="ignore")

    data_dir: Path | None = None
    db: Path = Path("agglomera.duckdb")
    aliases_file: Path | None = None
    max_upload_bytes: int = 50 * 1024 * 1024

    def resolved_data_dir(self) -> Path | None:
        if self.data_dir is not None and str(self.data_dir) != "":
            return self.data_dir
        return _default_data_dir()
