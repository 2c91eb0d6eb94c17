"""``atek.data_download``: the original's downloader module."""
