"""The store front: the dataset pages, the access flow, grants, revocation and the audit log.

``atek-store serve ROOT --state DIR`` serves it beside the files: ``/`` lists the datasets and
configurations, a dataset page takes an access request (email, licence acceptance), and the
requester downloads ``<Dataset>_ATEK_download_urls.json`` whose URLs are signed for their grant.
Grants live in a SQLite state folder (:mod:`~atek_store.store.front.state`), managed with
``atek-store access``. The server process never imports torch: previews (a rendered sample,
thumbnails, a sample's key layout) are made by a child process (:mod:`~atek_store.store.front.preview`).
"""
