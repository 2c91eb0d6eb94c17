"""The fast .pth reader gives exactly what torch.load gives, and never runs code from the file."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from atek_store.errors import FormatError, UnsafeTensorError
from atek_store.format import load_tensor
from atek_store.format.pth import read_plain_tensor

DTYPES = [
    torch.float32,
    torch.float64,
    torch.float16,
    torch.bfloat16,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
]


def saved(value: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(DTYPES),
    shape=st.lists(st.integers(0, 5), min_size=0, max_size=4),
    view=st.sampled_from(["whole", "slice", "transpose"]),
)
def test_fast_reader_equals_torch_load(dtype: torch.dtype, shape: list[int], view: str) -> None:
    base = (torch.arange(max(1, int(torch.tensor(shape).prod())) + 3) % 7).to(dtype)
    tensor = base[: int(torch.tensor(shape).prod())].reshape(shape)
    if view == "slice":
        tensor = base[3:]  # a view with a storage offset into a larger storage
    elif view == "transpose" and tensor.dim() >= 2:
        tensor = tensor.transpose(0, 1)
    data = saved(tensor)
    fast = read_plain_tensor(data)
    slow = torch.load(io.BytesIO(data), weights_only=True)
    assert fast is not None
    assert fast.dtype == slow.dtype
    assert fast.shape == slow.shape
    assert fast.stride() == slow.stride()
    assert fast.storage_offset() == slow.storage_offset()
    assert torch.equal(fast, slow)


def test_other_layouts_fall_back_to_torch_load() -> None:
    for value in (
        torch.zeros(2, dtype=torch.uint16),
        torch.zeros(2, requires_grad=True),
        {"a": torch.ones(1)},
    ):
        assert read_plain_tensor(saved(value)) is None
    assert load_tensor(saved(torch.zeros(3, dtype=torch.uint16))).dtype == torch.uint16


def test_a_member_that_is_not_a_stored_zip_never_reaches_torch_load() -> None:
    with pytest.raises(FormatError, match="not a zip archive"):
        load_tensor(b"not a zip at all", shard="s.tar", member="k.x.pth")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * 1000)
    with pytest.raises(FormatError, match="compressed"):
        load_tensor(buffer.getvalue(), shard="s.tar", member="k.x.pth")


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_code_in_a_pickle_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    data = saved([torch.zeros(1), _Payload(marker)])
    assert read_plain_tensor(data) is None
    with pytest.raises(UnsafeTensorError):
        load_tensor(data, shard="s.tar", member="k.x.pth")
    assert not marker.exists()


def test_a_corrupt_record_is_reported_not_loaded() -> None:
    data = bytearray(saved(torch.arange(100, dtype=torch.float32)))
    record = next(
        info
        for info in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()
        if info.filename.endswith("data/0")
    )
    name_len, extra_len = struct.unpack_from("<HH", data, record.header_offset + 26)
    data[record.header_offset + 30 + name_len + extra_len + 8] ^= 0xFF
    with pytest.raises(FormatError, match="CRC-32") as info:
        load_tensor(bytes(data), shard="s.tar", member="k.x.pth")
    assert "s.tar" in str(info.value)
    assert "k.x.pth" in str(info.value)


def test_float64_becomes_float32_through_load_tensor() -> None:
    loaded = load_tensor(saved(torch.tensor([1.5, 2.5], dtype=torch.float64)))
    assert loaded.dtype == torch.float32
    assert loaded.tolist() == [1.5, 2.5]
