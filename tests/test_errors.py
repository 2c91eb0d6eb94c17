"""The exception tree: typed fields, one location in the message, pickling across processes."""

from __future__ import annotations

import inspect
import pickle

import pytest

from atek_store import errors
from atek_store.errors import (
    AtekStoreError,
    FormatError,
    ImageDecodeError,
    IntegrityError,
    SignatureError,
    TransferError,
    UnsafeNameError,
    UrlsExpiredError,
)

ERROR_CLASSES = [
    getattr(errors, name)
    for name in errors.__all__
    if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), AtekStoreError)
]


def test_all_lists_every_public_class_of_the_module() -> None:
    public = {
        name
        for name, value in vars(errors).items()
        if not name.startswith("_") and isinstance(value, type) and value.__module__ == errors.__name__
    }
    assert set(errors.__all__) == public
    assert list(errors.__all__) == sorted(errors.__all__)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_declares_its_fields_as_keywords(cls: type[AtekStoreError]) -> None:
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert parameters[0].name == "message"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:]), cls
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters), cls


def test_every_error_subclasses_a_builtin_too() -> None:
    for cls in ERROR_CLASSES:
        if cls is AtekStoreError:
            continue
        builtins = [base for base in cls.__mro__ if base.__module__ == "builtins" and base is not object]
        assert any(base not in (Exception, BaseException) for base in builtins), cls


def test_location_is_added_to_the_message_once() -> None:
    error = ImageDecodeError("JPEG does not decode", member="k.image_0.jpeg")
    located = error.at(shard="a/shards-0000.tar", member="ignored")
    assert str(located) == "JPEG does not decode (shard a/shards-0000.tar, member k.image_0.jpeg)"
    again = located.at(shard="b.tar")
    assert str(again) == str(located)
    assert type(located) is ImageDecodeError
    # A message that already names the shard does not get it twice.
    assert str(FormatError("a.tar is truncated", shard="a.tar")) == "a.tar is truncated"


def test_fields_survive_pickling_with_the_message_intact() -> None:
    cases: list[AtekStoreError] = [
        FormatError("bad member", shard="s.tar", member="m.json").at(shard="other"),
        TransferError("HTTP 503 for u", url="http://h/u", status=503, retryable=True, retry_after=4.0),
        IntegrityError("sha1 differs", shard="seq/shards-0000.tar", expected="a" * 40, actual="b" * 40),
        UrlsExpiredError("HTTP 403", url="http://h/u", status=403),
        SignatureError("expired", reason="expired", path="seq/x.tar", expired_at=12),
        UnsafeNameError("bad name", name="../x"),
    ]
    for error in cases:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert str(back) == str(error)
        assert vars(back) == vars(error)


def test_os_error_subclasses_print_our_message() -> None:
    assert str(TransferError("cannot reach h", url="http://h/")) == "cannot reach h"
    assert str(SignatureError("signature is invalid", reason="invalid")) == "signature is invalid"
