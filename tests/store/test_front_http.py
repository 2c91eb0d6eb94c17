"""The store front over real HTTP: every route, the access flow, and every refusal."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3

from atek_store.errors import StoreError
from atek_store.store.front.policy import Approval, FrontConfig
from atek_store.store.front.state import GrantStatus, open_state
from atek_store.store.server import StoreServer, start_store_server
from tests.store.builders import build_front_store, sha1_of
from tests.store.front_client import FrontClient, download_urls

DATASET = "AriaDigitalTwin"
JSON_NAME = f"{DATASET}_ATEK_download_urls.json"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, golden_dir: Path) -> Path:
    return build_front_store(tmp_path_factory.mktemp("front-store"), golden_dir)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("front-state")


@pytest.fixture(scope="module")
def server(store: Path, state_dir: Path) -> Iterator[StoreServer]:
    config = FrontConfig(state_dir=state_dir, previews=False, requests_per_minute=600)
    with start_store_server(store, front=config) as running:
        yield running


@pytest.fixture(scope="module")
def strict_server(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    config = FrontConfig(
        state_dir=tmp_path_factory.mktemp("strict-state"),
        previews=False,
        approval=Approval.MANUAL,
        allowed_domains=("uni.edu",),
        requests_per_minute=1,
    )
    with start_store_server(store, front=config) as running:
        yield running


def client(server: StoreServer) -> FrontClient:
    return FrontClient(server.url)


def test_index_lists_every_dataset_and_configuration(server: StoreServer) -> None:
    page = client(server).get("/")
    html = page.data.decode()
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f'href="/datasets/{DATASET}/configs/cubercnn"' in html
    assert f'href="/datasets/{DATASET}/configs/efm"' in html
    assert html.count('class="access-link"') == 2
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_dataset_page_escapes_the_texts_and_sets_the_csrf_cookie(server: StoreServer) -> None:
    page = client(server).get(f"/datasets/{DATASET}")
    html = page.data.decode()
    assert page.status == 200
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "&lt;b&gt;No&lt;/b&gt; redistribution." in html
    cookie = page.headers["Set-Cookie"]
    assert "atek_csrf=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert page.headers["Cache-Control"] == "no-store"


def test_configuration_and_sequence_pages(server: StoreServer) -> None:
    front = client(server)
    config = front.get(f"/datasets/{DATASET}/configs/efm")
    assert config.status == 200
    assert "Configuration efm" in config.data.decode()
    sequences = front.get(f"/datasets/{DATASET}/configs/efm/sequences").data.decode()
    assert "seqB" in sequences
    assert "seqC" in sequences
    assert "shards-0001.tar" in sequences


@pytest.mark.parametrize(
    "path",
    [
        "/datasets/Nope",
        f"/datasets/{DATASET}/configs/nope",
        f"/datasets/{DATASET}/configs/efm/sequences/nope/thumbnail.jpg",
        f"/datasets/{DATASET}/configs/efm/sample.png",  # previews are off here
        "/access/short",
        "/access/" + "A" * 43,
        "/access/" + "A" * 43 + "/" + JSON_NAME,
    ],
)
def test_unknown_names_answer_404(server: StoreServer, path: str) -> None:
    assert client(server).get(path).status == 404


def test_files_beside_the_shards_need_a_signature_too(server: StoreServer) -> None:
    # With a front, every file URL must be signed: dataset.yaml and the state are never public.
    assert client(server).get("/dataset.yaml").status == 403
    assert client(server).get("/static/../dataset.yaml").status in (403, 404)


def test_the_stylesheet_is_served(server: StoreServer) -> None:
    response = client(server).get("/static/style.css")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")


def test_access_flow_gives_a_json_signed_for_the_grant(
    server: StoreServer, store: Path, state_dir: Path
) -> None:
    front = client(server)
    token = front.request_access(DATASET, email="Ada.Lovelace@Uni.EDU")
    page = front.get(f"/access/{token}")
    html = page.data.decode()
    assert page.status == 200
    assert f'href="/access/{token}/{JSON_NAME}"' in html
    assert "Lovelace" not in html
    response = front.get(f"/access/{token}/{JSON_NAME}")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{JSON_NAME}"'
    document = json.loads(response.data)
    assert document["raw_dataset_name"] == DATASET
    assert document["raw_dataset_release_version"] == "1.0"
    assert set(document["atek_data_for_all_configs"]) == {"cubercnn", "efm"}
    entry = document["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seqB"]["shards-0001_tar"]
    assert entry["filename"] == f"{DATASET}_ATEK_efm_seqB_shards-0001.tar"
    assert entry["sha1sum"] == sha1_of(store / "efm" / "seqB" / "shards-0001.tar")
    assert entry["file_size_bytes"] == (store / "efm" / "seqB" / "shards-0001.tar").stat().st_size
    grants = open_state(state_dir, create=False).grants(email="Ada.Lovelace@uni.edu")
    assert [g.status for g in grants] == [GrantStatus.ACTIVE]
    for url in download_urls(document):
        query = parse_qs(urlsplit(url).query)
        assert query["Grant"] == [grants[0].id]
        assert "Lovelace" not in url
        fetched = urllib3.request("GET", url, retries=False)
        assert fetched.status == 200
        relpath = urlsplit(url).path.lstrip("/")
        assert hashlib.sha1(fetched.data).hexdigest() == sha1_of(store / relpath)


def test_a_revoked_grant_gets_403_saying_so_and_no_new_json(server: StoreServer, state_dir: Path) -> None:
    front = client(server)
    token = front.request_access(DATASET, email="grace@uni.edu")
    urls = download_urls(front.url_json(token, DATASET))
    assert urllib3.request("GET", urls[0], retries=False).status == 200
    state = open_state(state_dir, create=False)
    grant = state.grants(email="grace@uni.edu")[0]
    state.decide([grant.id], GrantStatus.REVOKED)
    refused = urllib3.request("GET", urls[0], retries=False)
    assert refused.status == 403
    assert f"access grant {grant.id} was revoked" in refused.data.decode()
    assert front.get(f"/access/{token}/{JSON_NAME}").status == 403
    assert "revoked" in front.get(f"/access/{token}").data.decode()


def test_a_url_whose_grant_was_swapped_is_refused(server: StoreServer) -> None:
    front = client(server)
    url = download_urls(front.url_json(front.request_access(DATASET, email="eve@uni.edu"), DATASET))[0]
    other = download_urls(front.url_json(front.request_access(DATASET, email="mallory@uni.edu"), DATASET))[0]
    other_grant = parse_qs(urlsplit(other).query)["Grant"][0]
    mine = parse_qs(urlsplit(url).query)["Grant"][0]
    swapped = url.replace(f"Grant={mine}", f"Grant={other_grant}")
    refused = urllib3.request("GET", swapped, retries=False)
    assert refused.status == 403
    assert "signature does not match" in refused.data.decode()
    unsigned = url.split("?", 1)[0]
    assert urllib3.request("GET", unsigned, retries=False).status == 403


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"csrf_token": "forged"}, 403, "The form expired"),
        ({"email": "not-an-email"}, 400, "valid email address"),
        ({"email": "a@b"}, 400, "valid email address"),
        ({"email": "x" * 300 + "@uni.edu"}, 400, "valid email address"),
        ({"accept_licence": ""}, 400, "accept the licence"),
    ],
)
def test_bad_forms_are_refused_with_the_reason(
    server: StoreServer, fields: dict[str, str], status: int, message: str
) -> None:
    response = client(server).form(DATASET, **fields)
    assert response.status == status
    html = response.data.decode()
    assert message in html
    assert 'name="csrf_token"' in html  # the form comes back to try again


def test_a_post_without_the_cookie_is_refused(server: StoreServer) -> None:
    front = client(server)
    field = front.csrf_field(DATASET)
    stranger = client(server)  # another browser: no cookie
    fields = {"csrf_token": field, "email": "ada@uni.edu", "accept_licence": "yes"}
    assert stranger.post(f"/datasets/{DATASET}/access", fields).status == 403


def test_an_oversized_form_is_refused(server: StoreServer) -> None:
    response = client(server).form(DATASET, email="a" * 100_000 + "@uni.edu")
    assert response.status == 413


def test_the_secret_and_emails_stay_out_of_pages_and_logs(
    server: StoreServer, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = (state_dir / "secret").read_text().strip()
    front = client(server)
    with caplog.at_level(logging.DEBUG, logger="atek_store"):
        token = front.request_access(DATASET, email="hidden.person@uni.edu")
        pages = [front.get(path).data.decode() for path in ("/", f"/datasets/{DATASET}", f"/access/{token}")]
        document = front.url_json(token, DATASET)
        urllib3.request("GET", download_urls(document)[0], retries=False)
    for text in [*pages, json.dumps(document), caplog.text]:
        assert secret not in text
        assert "hidden.person" not in text


def test_manual_approval_keeps_the_request_pending_until_approved(
    strict_server: StoreServer, tmp_path: Path
) -> None:
    front = client(strict_server)
    token = front.request_access(DATASET, email="turing@cs.uni.edu")
    assert "waiting for the store operator" in front.get(f"/access/{token}").data.decode()
    assert front.get(f"/access/{token}/{JSON_NAME}").status == 403


def test_domains_outside_the_allow_list_are_refused(strict_server: StoreServer) -> None:
    response = client(strict_server).form(DATASET, email="someone@gmail.com")
    assert response.status == 403
    assert "uni.edu" in response.data.decode()


def test_the_access_endpoint_is_rate_limited(strict_server: StoreServer) -> None:
    front = client(strict_server)
    statuses = [front.form(DATASET, email="flood@uni.edu").status for _ in range(8)]
    assert 429 in statuses
    limited = front.form(DATASET, email="flood@uni.edu")
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) > 0


def test_reserved_configuration_names_are_refused_at_start(tmp_path: Path, golden_dir: Path) -> None:
    root = build_front_store(tmp_path / "store", golden_dir)
    (root / "efm").rename(root / "access")
    with pytest.raises(StoreError, match="access"):
        start_store_server(root, front=FrontConfig(state_dir=tmp_path / "state", previews=False))


def test_reserved_dataset_folder_names_are_refused_at_start(tmp_path: Path, golden_dir: Path) -> None:
    # /static/... is the front's style sheet: a dataset folder of that name could not be downloaded.
    root = tmp_path / "store"
    build_front_store(root / "ADT", golden_dir, name="AriaDigitalTwin")
    build_front_store(root / "static", golden_dir, name="AriaSyntheticEnvironment")
    with pytest.raises(StoreError, match="static"):
        start_store_server(root, front=FrontConfig(state_dir=tmp_path / "state", previews=False))


def test_several_datasets_side_by_side(tmp_path: Path, golden_dir: Path) -> None:
    root = tmp_path / "store"
    build_front_store(root / "ADT", golden_dir, name="AriaDigitalTwin")
    build_front_store(root / "ASE", golden_dir, name="AriaSyntheticEnvironment")
    config = FrontConfig(state_dir=tmp_path / "state", previews=False)
    with start_store_server(root, front=config) as running:
        front = client(running)
        html = front.get("/").data.decode()
        assert "/datasets/AriaDigitalTwin" in html
        assert "/datasets/AriaSyntheticEnvironment" in html
        document = front.url_json(
            front.request_access("AriaSyntheticEnvironment"), "AriaSyntheticEnvironment"
        )
        url = download_urls(document)[0]
        assert urlsplit(url).path.startswith("/ASE/")
        assert urllib3.request("GET", url, retries=False).status == 200


def test_a_json_for_a_strange_host_header_is_refused(server: StoreServer) -> None:
    front = client(server)
    token = front.request_access(DATASET, email="host@uni.edu")
    path = f"/access/{token}/{JSON_NAME}"
    assert front.get(path, Host='evil"><x').status == 400
    document = json.loads(front.get(path, Host="data.lab.org:8443").data)
    assert all(url.startswith("http://data.lab.org:8443/") for url in download_urls(document))


def test_a_grant_with_too_many_downloads_in_flight_gets_429_then_is_served(
    tmp_path: Path, golden_dir: Path
) -> None:
    root = build_front_store(tmp_path / "store", golden_dir)
    (root / "efm" / "seqC" / "shards-0001.tar").write_bytes(bytes(64 << 20))
    config = FrontConfig(state_dir=tmp_path / "state", previews=False, requests_per_grant=1)
    with start_store_server(root, front=config) as running:
        front = client(running)
        urls = download_urls(front.url_json(front.request_access(DATASET), DATASET))
        big = next(url for url in urls if "seqC/shards-0001" in url)
        target = big.split(running.url, 1)[1]
        with socket.socket() as stalled:
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.connect(("127.0.0.1", running.port))
            stalled.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            # Its status line first: admitted, it holds the grant's one slot while its body waits
            # (a request sent before that could take the slot itself and turn the download away).
            stalled.settimeout(10)
            head = b""
            while len(head) < 12 and (piece := stalled.recv(12 - len(head))):
                head += piece
            assert head == b"HTTP/1.1 200"
            assert urllib3.request("HEAD", urls[0], retries=False).status == 429
        for _ in range(200):  # bounded: the server sees the closed connection and releases the slot
            if urllib3.request("HEAD", urls[0], retries=False).status == 200:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the grant's slot was never released")
