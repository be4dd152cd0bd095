"""The demo's own data dir: a fresh folder with its SQLite database and master key file.

The demo never touches the user's installation: it ignores `TRADEWIND_DATA_DIR`,
`TRADEWIND_DATABASE_URL` and `TRADEWIND_SECRET_KEY` and works in a new temporary folder,
or in `--data-dir DIR` when that is new, empty, or a previous demo's (which it starts over).
A marker file tells a demo's folder from any other.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from tradewind.bootstrap.store import migrate_database, use_master_key
from tradewind.domain.errors import ConfigurationError
from tradewind.settings import DATABASE_FILE, Settings

MARKER = ".tradewind-demo"
# What a demo writes; a previous demo's folder loses these before the new one starts.
DEMO_FILES = (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm", "secret.key")
ENV_OVERRIDDEN = ("TRADEWIND_DATABASE_URL", "TRADEWIND_SECRET_KEY")


def prepare_home(data_dir: Path | None) -> tuple[Settings, bool]:
    """Make the demo's folder, key file and migrated database; return (settings, reused).

    `reused` is True when `data_dir` held a previous demo, now started over.
    """
    reused = False
    if data_dir is None:
        home = Path(tempfile.mkdtemp(prefix="tradewind-demo-"))
    else:
        home = data_dir.expanduser().absolute()
        reused = _claim(home)
    (home / MARKER).write_text("made by `tradewind demo`; the demo may start this folder over\n")
    # Explicit values win over the environment: the demo's database is always its own.
    settings = Settings(data_dir=home, database_url="", secret_key=None)
    use_master_key(settings)  # the key file in the demo's folder
    migrate_database(settings)
    return settings, reused


def _claim(home: Path) -> bool:
    if home.exists() and not home.is_dir():
        raise ConfigurationError(f"--data-dir {home}: is a file, not a folder")
    if not home.exists():
        home.mkdir(mode=0o700, parents=True)
        return False
    entries = list(home.iterdir())
    if not entries:
        return False
    if not (home / MARKER).is_file():
        raise ConfigurationError(
            f"--data-dir {home}: the folder is not empty and no earlier demo made it; give a "
            "new or empty folder (or leave out --data-dir for a temporary one)"
        )
    for name in DEMO_FILES:
        (home / name).unlink(missing_ok=True)
    return True


def look_further(settings: Settings) -> str:
    """Return the environment prefix that points the other commands at the demo's data."""
    prefix = f"TRADEWIND_DATA_DIR={shlex.quote(str(settings.data_dir))}"
    # Blank values mean "the default", i.e. the demo's SQLite file and key file.
    for name in ENV_OVERRIDDEN:
        if os.environ.get(name, "").strip():
            prefix += f" {name}="
    return prefix
