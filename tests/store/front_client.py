"""A small HTTP client for the store front's tests: a cookie jar, the form's CSRF field, the access flow."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import urllib3

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TOKEN = re.compile(r"^/access/([A-Za-z0-9_-]+)$")


@dataclass
class FrontClient:
    """One browser-like client of a store front at ``url``."""

    url: str
    http: urllib3.PoolManager = field(default_factory=lambda: urllib3.PoolManager(retries=False, timeout=30))
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **headers: str) -> urllib3.BaseHTTPResponse:
        """GET a path of the front, sending and keeping cookies."""
        return self._keep(
            self.http.request("GET", self.url + path, headers=self._headers(headers), redirect=False)
        )

    def post(self, path: str, fields: dict[str, str], **headers: str) -> urllib3.BaseHTTPResponse:
        """POST an url-encoded form."""
        response = self.http.request(
            "POST",
            self.url + path,
            fields=fields,
            encode_multipart=False,
            headers=self._headers(headers),
            redirect=False,
        )
        return self._keep(response)

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response: urllib3.BaseHTTPResponse) -> urllib3.BaseHTTPResponse:
        for header in response.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def csrf_field(self, dataset: str) -> str:
        """Load the dataset page (setting the cookie) and return the form's CSRF field."""
        page = self.get(f"/datasets/{dataset}")
        assert page.status == 200, page.data
        match = _CSRF.search(page.data.decode())
        assert match
        return match.group(1)

    def form(self, dataset: str, **overrides: str) -> urllib3.BaseHTTPResponse:
        """Post the access form with a valid CSRF field (unless overridden)."""
        fields = {"csrf_token": self.csrf_field(dataset), "email": "ada@uni.edu", "accept_licence": "yes"}
        fields.update(overrides)
        return self.post(f"/datasets/{dataset}/access", fields)

    def request_access(self, dataset: str, email: str = "ada@uni.edu") -> str:
        """Run the form and return the claim token from the redirect."""
        response = self.form(dataset, email=email)
        assert response.status == 303, response.data
        match = _TOKEN.match(response.headers["Location"])
        assert match, response.headers["Location"]
        return match.group(1)

    def url_json(self, token: str, dataset: str) -> dict[str, Any]:
        """Download the grant's URL JSON."""
        response = self.get(f"/access/{token}/{dataset}_ATEK_download_urls.json")
        assert response.status == 200, response.data
        document: dict[str, Any] = json.loads(response.data)
        return document


def download_urls(document: dict[str, Any]) -> list[str]:
    """Every ``download_url`` of a URL JSON."""
    return [
        entry["download_url"]
        for config in document["atek_data_for_all_configs"].values()
        for sequence in config["wds_file_urls"].values()
        for entry in sequence.values()
    ]
