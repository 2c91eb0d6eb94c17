#!/usr/bin/env python3
r"""Drop-in for the original ``tools/atek_wds_data_downloader.py``: same flags, same selection.

The seed document's command works verbatim::

    python3 tools/atek_wds_data_downloader.py --config-name efm \
        --input-json-path AriaDigitalTwin_ATEK_download_urls.json \
        --output-folder-path ./downloaded_local_wds --max-num-sequences 10 \
        --train-val-split-ratio 0.8 --random-seed 42 --download-wds-to-local

It runs ``atek-store download`` (parallel, resumable, verified; see ``--help`` for the extra flags).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from atek_store.cli import main
except ImportError:  # run from a checkout without installing: use the sources beside this script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from atek_store.cli import main

if __name__ == "__main__":
    sys.exit(main(["download", *sys.argv[1:]]))
