"""``atek.data_loaders``: the original's loader and model adaptor modules."""
