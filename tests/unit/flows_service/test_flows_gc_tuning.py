"""The flows worker collects cycles rarely and never walks what it loaded at start-up."""

import gc

import pytest

from services.flows.app import GC_THRESHOLDS, tune_gc

pytestmark = pytest.mark.unit


def test_tuning_raises_the_young_threshold_and_freezes_start_up_objects() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > before[0]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
