"""The heat map's median from counted passes equals the median of the passes themselves."""
from __future__ import annotations

import statistics

from engine.evaluation.passages import UNKNOWN_HOURS, median_hours


def test_median_from_counts_matches_the_median_of_every_pass():
    counts = {25: 3, 100: 1, 40: 2, UNKNOWN_HOURS: 5}  # six known passes, five with no creation in the log
    every_pass = [25, 25, 25, 100, 40, 40]
    assert median_hours(counts) == round(statistics.median(every_pass) / 100, 2) == 0.33
    counts[100] = 2  # seven: the middle one
    assert median_hours(counts) == round(statistics.median(every_pass + [100]) / 100, 2) == 0.4


def test_no_known_hours_has_no_median():
    assert median_hours({}) is None
    assert median_hours({UNKNOWN_HOURS: 4}) is None
