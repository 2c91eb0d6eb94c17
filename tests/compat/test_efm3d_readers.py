"""EFM3D's ATEK readers, unmodified, run on our `atek` and yield what our own loader's samples imply.

The reference is atek-store's native loader on the golden efm shards (itself checked against what
the original loader yields, ``expected_native.json``): EFM3D pads 2 frames to 20 (repeating the
last), scales images to [0, 1], turns obb3 GT into padded ``ObbTW`` without "other", and moves
poses into a gravity-aligned world.
"""

from __future__ import annotations

import csv
import gc
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

from atek_store import create_native_atek_dataloader
from atek_store.synthetic import camera_rig, write_synthetic_store
from tests.compat.conftest import CLIENT_WARNINGS
from tests.golden import load_expected, sample_mismatches, tensor_sha256

pytestmark = [pytest.mark.filterwarnings(rule) for rule in CLIENT_WARNINGS]

FRAMES = 20  # EFM3D's snippet: 2 s at 10 Hz
CAMERAS = {"rgb": "camera-rgb", "slaml": "camera-slam-left", "slamr": "camera-slam-right"}
# EFM3D's world has gravity along -z; ADT's along -y: its adaptor rotates the world by this.
Y_UP_TO_Z_UP = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@pytest.fixture(scope="module")
def efm_adaptor(efm3d_client: Path) -> ModuleType:
    return importlib.import_module("efm3d.dataset.efm_model_adaptor")


@pytest.fixture(scope="module")
def native(efm_urls: list[str], golden_dir: Path) -> list[dict[str, Any]]:
    """Our own loader's samples, which are the original loader's (checked here once more)."""
    samples = list(create_native_atek_dataloader(efm_urls))
    expected = load_expected(golden_dir / "expected_native.json")["adt_efm_short"]
    assert [sample_mismatches(want, have) for want, have in zip(expected, samples, strict=True)] == [[], []]
    return samples


@pytest.fixture(scope="module")
def taxonomy(taxonomy_csv: str) -> dict[str, int]:
    with open(taxonomy_csv, newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return {row[0]: int(row[2]) for row in rows}


@pytest.fixture(scope="module")
def unbatched(efm_adaptor: ModuleType, efm_urls: list[str], taxonomy_csv: str) -> list[dict[str, Any]]:
    dataset = efm_adaptor.load_atek_wds_dataset_as_efm(
        efm_urls, atek_to_efm_taxonomy_mapping_file=taxonomy_csv
    )
    return list(dataset)


def padded(values: torch.Tensor) -> torch.Tensor:
    """What EFM3D makes of per-frame values: the last one repeated up to 20 frames."""
    return torch.cat([values, values[-1:].repeat(FRAMES - len(values), *([1] * (values.dim() - 1)))])


def test_unbatched_samples_carry_the_native_frames_times_and_calibration(
    unbatched: list[dict[str, Any]], native: list[dict[str, Any]]
) -> None:
    assert len(unbatched) == len(native) == 2
    for efm, atek in zip(unbatched, native, strict=True):
        assert efm["__key__"] == atek["__key__"]
        for efm_camera, atek_camera in CAMERAS.items():
            images = atek[f"mfcd#{atek_camera}+images"]
            assert efm[f"{efm_camera}/img"].shape == (FRAMES, *images.shape[1:])
            # Scaled to [0, 1] in float32; scaling back recovers the decoded pixels exactly.
            restored = (efm[f"{efm_camera}/img"] * 255).round().to(torch.uint8)
            assert tensor_sha256(restored) == tensor_sha256(padded(images))
            times = atek[f"mfcd#{atek_camera}+capture_timestamps_ns"]
            assert torch.equal(efm[f"{efm_camera}/img/time_ns"], padded(times))
            assert torch.equal(
                efm[f"{efm_camera}/calib/valid_radius"], atek[f"mfcd#{atek_camera}+camera_valid_radius"]
            )
            assert torch.equal(
                efm[f"{efm_camera}/calib/projection_params"], atek[f"mfcd#{atek_camera}+projection_params"]
            )
        assert torch.equal(efm["pose/time_ns"], padded(atek["mtd#capture_timestamps_ns"]))
        assert torch.equal(efm["rgb/distance_m"], padded(atek["mfcd#camera-rgb-depth+images"]))
        expected_poses = Y_UP_TO_Z_UP @ atek["mtd#ts_world_device"]
        assert torch.allclose(efm["pose/t_world_rig"].matrix3x4[:2], expected_poses, atol=1e-6)
        # One NaN point per frame on disk (the test sequence's semidense times never match); padded with NaN.
        assert efm["points/p3s_world"].shape == (FRAMES, 50000, 3)
        assert torch.isnan(efm["points/p3s_world"]).all()


def test_obb_ground_truth_keeps_every_non_other_instance_with_its_efm_category(
    unbatched: list[dict[str, Any]], native: list[dict[str, Any]], taxonomy: dict[str, int]
) -> None:
    for efm, atek in zip(unbatched, native, strict=True):
        obbs = efm["obbs/padded_snippet"]
        assert obbs.shape[:2] == (FRAMES, 128)
        per_time = atek["gt_data"]["efm_gt"]
        assert efm["obbs/time_ns"][: len(per_time)].tolist() == [int(t) for t in per_time]
        for frame, cameras in enumerate(per_time.values()):
            # Every instance seen by some camera, in order of first sight, "other" left out.
            expected: dict[int, int] = {}
            for obb3 in cameras.values():
                for instance, name in zip(obb3["instance_ids"].tolist(), obb3["category_names"], strict=True):
                    if name != "other":
                        expected.setdefault(instance, taxonomy[name])
            data = obbs.tensor()[frame][~obbs.get_padding_mask()[frame]]
            assert len(expected) > 0
            # ObbTW holds ids as float32 (EFM3D's choice), so compare them rounded the same way.
            assert torch.equal(data[:, 31], torch.tensor(list(expected), dtype=torch.int64).to(torch.float32))
            assert data[:, 30].tolist() == list(expected.values())


@pytest.fixture(scope="module")
def batched(efm_adaptor: ModuleType, efm_urls: list[str], taxonomy_csv: str) -> dict[str, Any]:
    collate = importlib.import_module("efm3d.aria.tensor_wrapper").custom_collate_fn
    (batch,) = list(
        efm_adaptor.load_atek_wds_dataset_as_efm(
            efm_urls, atek_to_efm_taxonomy_mapping_file=taxonomy_csv, batch_size=2, collation_fn=collate
        )
    )
    return batch  # type: ignore[no-any-return]


def test_batched_with_custom_collate_fn_stacks_the_unbatched_samples(
    batched: dict[str, Any], unbatched: list[dict[str, Any]]
) -> None:
    # With a collation function (training), EFM3D keeps only tensors.
    assert "__key__" not in batched
    assert "gt_data" not in batched
    assert batched["rgb/img"].shape == (2, FRAMES, 3, 240, 240)
    for index, sample in enumerate(unbatched):
        assert torch.equal(batched["rgb/img"][index], sample["rgb/img"])
        assert torch.equal(
            batched["obbs/padded_snippet"].tensor()[index], sample["obbs/padded_snippet"].tensor()
        )


def test_training_loader_on_webdataset_gives_the_same_batches_as_ours(
    efm_adaptor: ModuleType, efm_urls: list[str], taxonomy_csv: str, batched: dict[str, Any]
) -> None:
    tensor_wrappers = importlib.import_module("efm3d.aria.tensor_wrapper")
    # EFM3D's training path: its own WebDataset pipeline mapping our process_wds_sample and
    # select_and_remap_dict_keys. Resampling one shard repeats it in order, forever.
    train = efm_adaptor.load_atek_wds_dataset_as_efm_train(
        efm_urls,
        atek_to_efm_taxonomy_mapping_file=taxonomy_csv,
        batch_size=2,
        collation_fn=tensor_wrappers.custom_collate_fn,
    )
    batches = iter(train)
    from_webdataset = next(batches)
    del batches
    gc.collect()  # the dropped reader's warning belongs to this test
    assert set(from_webdataset) == set(batched)
    for key, ours in batched.items():
        theirs = from_webdataset[key]
        if isinstance(ours, tensor_wrappers.TensorWrapper):
            ours, theirs = ours.tensor(), theirs.tensor()
        assert torch.equal(torch.nan_to_num(ours), torch.nan_to_num(theirs)), key


def test_stream_dataset_cuts_the_snippets_into_shorter_ones(
    efm3d_client: Path, golden_dir: Path, taxonomy_csv: str, unbatched: list[dict[str, Any]]
) -> None:
    module = importlib.import_module("efm3d.dataset.atek_wds_dataset")
    stream = module.AtekWdsStreamDataset(str(golden_dir / "wds" / "adt_efm_short"), taxonomy_csv)
    snippets = list(stream)
    # 1 s snippets every 0.1 s: 11 from the first 2 s sample, then 10 more per further sample.
    assert len(snippets) == len(stream) == 21
    for index in (0, 5, 10):
        start = index  # 1 frame per 0.1 s
        assert torch.equal(snippets[index]["rgb/img"], unbatched[0]["rgb/img"][start : start + 10])
    assert torch.equal(snippets[11]["rgb/img"], unbatched[1]["rgb/img"][1:11])


def test_synthetic_efm_store_loads_in_efm3d(efm_adaptor: ModuleType, tmp_path: Path) -> None:
    write_synthetic_store(tmp_path, config="efm", sequences=1, samples_per_sequence=2, seed=3)
    urls = [str(path) for path in sorted(tmp_path.glob("*/*.tar"))]
    (sample, _) = list(efm_adaptor.load_atek_wds_dataset_as_efm(urls))
    rig = camera_rig(rgb_size=(240, 240), slam_size=(320, 240))
    for efm_camera, atek_camera in CAMERAS.items():
        radius = sample[f"{efm_camera}/calib/valid_radius"]
        assert radius.tolist() == pytest.approx([rig[atek_camera].valid_radius])
        assert sample[f"{efm_camera}/calib"].shape[0] == FRAMES
    assert (~sample["obbs/padded_snippet"].get_padding_mask()).any()
