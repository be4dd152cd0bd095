"""What keeps `tradewind backtest` quick to start: the store's place read without the
settings, and ports loaded one module at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tradewind.ports
from tradewind.bootstrap.backtest import plain_candle_store_dir
from tradewind.settings import Settings


@pytest.mark.parametrize(
    "environ",
    [{}, {"TRADEWIND_DATA_DIR": "/srv/tw"}, {"TRADEWIND_CANDLE_DIR": "/data/candles"},
     {"TRADEWIND_DATA_DIR": "~/tw", "TRADEWIND_CANDLE_DIR": "~/c"},
     {"TRADEWIND_DATA_DIR": "relative/dir", "OTHER": "x"}],
)  # fmt: skip
def test_the_store_is_where_the_settings_put_it(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TRADEWIND_DATA_DIR", "TRADEWIND_CANDLE_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert plain_candle_store_dir(environ) == Settings().candle_store_dir


@pytest.mark.parametrize(
    "environ",
    [{"tradewind_data_dir": "/srv/tw"}, {"TRADEWIND_CANDLE_DIR": ""},
     {"Tradewind_Candle_Dir": "/c", "TRADEWIND_CANDLE_DIR": "/d"}],
)  # fmt: skip
def test_what_is_not_set_plainly_is_left_to_the_settings(environ: dict[str, str]) -> None:
    assert plain_candle_store_dir(environ) is None


def test_the_ports_package_exports_every_name_from_its_module() -> None:
    assert sorted(tradewind.ports._HOME) == sorted(tradewind.ports.__all__)
    for name in tradewind.ports.__all__:
        value = getattr(tradewind.ports, name)
        module = sys.modules[f"tradewind.ports.{tradewind.ports._HOME[name]}"]
        assert value is getattr(module, name)
    with pytest.raises(AttributeError, match="no_such_port"):
        _ = tradewind.ports.no_such_port


def test_one_port_module_loads_alone() -> None:
    script = (
        "import sys\nimport tradewind.ports.research\n"
        "print(sorted(m for m in ('tradewind.ports.manage', 'pydantic') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("source", ["csv", "store", "generated"])
def test_a_quiet_backtest_of_plain_flags_imports_no_pydantic(source: str, tmp_path: Path) -> None:
    """Nor typer, rich, or `pyarrow.parquet` (its `pyarrow.fs` brings ssl and sockets)."""
    from tradewind.adapters.marketdata.candle_store import ParquetCandleStore
    from tradewind.adapters.marketdata.csv_candles import write_candles_csv
    from tradewind.adapters.marketdata.synthetic import generate_market
    from tradewind.domain.types import PositionType, Symbol
    from tradewind.ports.research import SeriesKey

    candles = generate_market(2_000, 60, seed=5)
    csv = tmp_path / "c.csv"
    write_candles_csv(candles, csv)
    ParquetCandleStore(tmp_path / "store").write(
        SeriesKey(PositionType.SPOT, Symbol("BTCUSDT"), "1m"), candles
    )
    flags = ["--custom-stop-loss", "2", "--position-size-fixed", "25", "--quiet"]
    flags += {"csv": ["--csv", str(csv)], "store": [], "generated": ["--generated"]}[source]
    script = (
        "import sys\n"
        f"sys.argv = ['tradewind', 'backtest', *{flags!r}]\n"
        "from tradewind.entrypoints.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert done.code == 0, done.code\n"
        "heavy = {'pydantic', 'typer', 'rich', 'pyarrow.parquet', 'pyarrow.fs'}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
    )
    env = {**os.environ, "TRADEWIND_CANDLE_DIR": str(tmp_path / "store")}
    env.pop("TRADEWIND_DATA_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary, imported = done.stdout.strip().splitlines()[-2:]
    assert json.loads(summary)["candles"] == (43_200 if source == "generated" else 2_000)
    assert imported == "[]"
