"""The model adaptor protocol: how ATEK samples become what one model consumes.

An adaptor is two things, as in the original ATEK: a key mapping (ATEK key -> model key; keys not
in the mapping are dropped, ``__key__`` and ``__url__`` are kept) and a per-sample conversion of
the remapped sample. Subclass :class:`ModelAdaptor`, set ``key_mapping`` and implement
``convert``; the base class turns that into the ``data_transform_fn`` that the loader expects
(an iterator of samples in, an iterator of converted samples out) and into a ready DataLoader.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from atek_store.errors import AdaptorError
from atek_store.loading import (
    AtekDataLoader,
    AtekWdsDataset,
    create_native_atek_dataloader,
    load_atek_wds_dataset,
    simple_list_collation_fn,
)
from atek_store.loading.api import Urls
from atek_store.loading.keymap import PASS_THROUGH_KEYS, remap_keys

__all__ = ["KEPT_KEYS", "ModelAdaptor", "describe_sample", "remap_keys"]

# Keys that survive every key mapping: they say where a sample came from.
KEPT_KEYS = PASS_THROUGH_KEYS

_T = TypeVar("_T")


class ModelAdaptor(abc.ABC):
    """Base of every model adaptor.

    Subclasses set ``key_mapping`` (ATEK key -> model key) and implement :meth:`convert`, which
    takes one remapped sample and returns the model's sample, or None to drop it. Use
    :meth:`require` to read a key: a missing key or a value of the wrong type becomes an
    :class:`~atek_store.errors.AdaptorError` that names the sample and the key.

    The adaptor itself is the loader's ``data_transform_fn`` (it maps an iterator of samples to an
    iterator of converted samples), :meth:`create_dataloader` gives a ready DataLoader, and
    :meth:`adapt` converts one sample as read from a shard.
    """

    #: ATEK key -> model key. Keys not listed are dropped before :meth:`convert` sees the sample.
    key_mapping: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def get_dict_key_mapping_all(cls) -> dict[str, str]:
        """The key mapping as a fresh dict (the original adaptors' name for it)."""
        return dict(cls.key_mapping)

    @abc.abstractmethod
    def convert(self, sample: dict[str, Any]) -> dict[str, Any] | None:
        """Turn one remapped sample into the model's sample; None drops the sample."""

    def transform(self, samples: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Convert a stream of remapped samples, leaving out the dropped ones."""
        for sample in samples:
            converted = self.convert(sample)
            if converted is not None:
                yield converted

    def __call__(self, samples: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The adaptor as ``data_transform_fn``: same as :meth:`transform`."""
        return self.transform(samples)

    def adapt(self, sample: Mapping[str, Any]) -> dict[str, Any] | None:
        """Remap and convert one sample as decoded from a shard (e.g. by ``iter_shard``)."""
        return self.convert(remap_keys(sample, self.key_mapping))

    def load_dataset(
        self,
        urls: Urls,
        batch_size: int | None = None,
        repeat_flag: bool = False,
        shuffle_flag: bool = False,
        **options: Any,
    ) -> AtekWdsDataset:
        """This adaptor's samples as a dataset (no DataLoader); batches are plain lists.

        Iterated directly, items are exactly what :meth:`convert` returns (numpy arrays stay numpy,
        as in the original); a DataLoader turns them into tensors. ``options`` go to
        :func:`~atek_store.load_atek_wds_dataset` (``seed``, ``cache_dir``, ``handler``, ...).
        """
        return load_atek_wds_dataset(
            urls,
            dict_key_mapping=self.get_dict_key_mapping_all(),
            data_transform_fn=self,
            batch_size=batch_size,
            collation_fn=simple_list_collation_fn,
            repeat_flag=repeat_flag,
            shuffle_flag=shuffle_flag,
            **options,
        )

    def create_dataloader(
        self,
        urls: Urls,
        batch_size: int | None = None,
        repeat_flag: bool = False,
        shuffle_flag: bool = False,
        num_workers: int = 0,
        **options: Any,
    ) -> AtekDataLoader:
        """A DataLoader of this adaptor's samples; batches (``batch_size`` given) are plain lists.

        Keys are remapped with ``key_mapping`` (unmapped members are not even decoded), samples
        converted by :meth:`transform`. ``options`` go to
        :func:`~atek_store.create_native_atek_dataloader` (``seed``, ``cache_dir``, ``handler``,
        ``nodesplitter``, ...).
        """
        return create_native_atek_dataloader(
            urls,
            dict_key_mapping=self.get_dict_key_mapping_all(),
            data_transform_fn=self,
            collation_fn=simple_list_collation_fn,
            batch_size=batch_size,
            repeat_flag=repeat_flag,
            shuffle_flag=shuffle_flag,
            num_workers=num_workers,
            **options,
        )

    def require(self, sample: Mapping[str, Any], model_key: str, kind: type[_T]) -> _T:
        """``sample[model_key]``, checked to be a ``kind``; an AdaptorError naming the sample otherwise."""
        if model_key not in sample:
            raise AdaptorError(
                f"sample {describe_sample(sample)} has no {self._describe_key(model_key)}, "
                f"which {type(self).__name__} needs",
                sample_key=sample.get("__key__"),
                key=model_key,
            )
        value = sample[model_key]
        if not isinstance(value, kind):
            raise AdaptorError(
                f"sample {describe_sample(sample)}: {self._describe_key(model_key)} is a "
                f"{type(value).__name__}, expected a {kind.__name__}",
                sample_key=sample.get("__key__"),
                key=model_key,
            )
        return value

    def fail(self, sample: Mapping[str, Any], problem: str) -> AdaptorError:
        """An AdaptorError about ``sample`` (to raise): the message names the sample and the adaptor."""
        return AdaptorError(
            f"{type(self).__name__}: sample {describe_sample(sample)} {problem}",
            sample_key=sample.get("__key__"),
        )

    def _describe_key(self, model_key: str) -> str:
        sources = [atek for atek, model in self.key_mapping.items() if model == model_key]
        return f"{model_key!r} (ATEK key {sources[0]!r})" if sources else repr(model_key)


def describe_sample(sample: Mapping[str, Any]) -> str:
    """``'<key>' of <url>`` for messages (a key alone is not unique across sequences)."""
    key = sample.get("__key__", "<no __key__>")
    url = sample.get("__url__")
    return f"{key!r} of {url}" if url else repr(key)
