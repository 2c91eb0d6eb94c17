"""``python -m atek_store``: the same as the ``atek-store`` command."""

from atek_store.cli import main

raise SystemExit(main())
