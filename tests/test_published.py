"""The published-results table: sources, baselines, and the transcription checked against its source's own text."""

import re
from pathlib import Path

import pytest

from srlib.errors import ConfigError
from srlib.published import SOURCES, PublishedResult, published_results, published_table, relative_to_baseline

BIB = Path(__file__).resolve().parents[1] / "book" / "references.bib"


def test_every_row_names_a_checked_source_the_book_can_cite():
    keys = set(re.findall(r"@\w+\{(\w+),", BIB.read_text()))
    rows = published_results()
    assert {r.source for r in rows} == set(SOURCES)
    for source in SOURCES.values():
        assert source.key in keys
        assert source.checked_in and source.metric and source.data and source.degradation


def test_relative_figures_are_against_the_sources_own_baseline():
    rows = relative_to_baseline(published_results())
    for r in rows:
        if r.model == r.baseline:
            assert r.relative == (0.0 if r.metric == "snr_db" else 1.0)
    by = {(r.model, r.rates, r.setting): r for r in rows}
    mugan = by["MU-GAN", "16 -> 48 kHz (x3)", "single speaker"]
    assert mugan.relative == pytest.approx(18.88 - 16.08)
    unprocessed = by["Unprocessed", "8 -> 44.1 kHz", "VCTK test speakers"]
    assert by["WSRGlow (one model per rate)", "8 -> 44.1 kHz", "VCTK test speakers"].relative == \
        pytest.approx(0.98 / unprocessed.value)


def test_nuwave_rows_agree_with_the_errata_text():
    # ERRATA.md: "Our model improves SNR value by 0.36-1.8 dB from the best performing baseline, MU-GAN."
    rows = published_results()
    value = {(r.model, r.rates, r.setting): r.value for r in rows if r.source == "lee2021nuwave"}
    gains = [value["NU-Wave", rates, setting] - value["MU-GAN", rates, setting]
             for (model, rates, setting) in value if model == "NU-Wave"]
    assert min(gains) == pytest.approx(0.36) and max(gains) == pytest.approx(1.8)


def test_a_row_without_its_baseline_is_refused():
    lone = PublishedResult("lee2021nuwave", "NU-Wave", "8 -> 48 kHz", "none", "snr_db", 10.0, "Linear")
    with pytest.raises(ConfigError, match="no baseline row 'Linear'"):
        relative_to_baseline([lone])


def test_table_has_one_line_per_row_with_its_citation():
    table = published_table().splitlines()
    assert len(table) == 2 + len(published_results())
    assert all("{cite}`" in line for line in table[2:])
