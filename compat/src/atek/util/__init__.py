"""``atek.util``: the original's file, tensor and constant helpers."""
