"""Market data on disk: download a venue's candle history into the local store, list it."""

from tradewind.services.data.download import (
    DownloadReport,
    DownloadRequest,
    Gap,
    download_candles,
    find_gaps,
)

__all__ = ["DownloadReport", "DownloadRequest", "Gap", "download_candles", "find_gaps"]
