"""The evidence notes say what their sources are: who took part, the effect and its
uncertainty, and a study on another tendon named as one (issue 21, "Wording")."""

from __future__ import annotations

import re

import pytest

from strideguard.guidance.validation import MAX_EVIDENCE
from strideguard.guidance.wording import EVIDENCE, SEED
from strideguard.plan.phases import SESSION_PAIN_MAX


@pytest.mark.parametrize("key", sorted(EVIDENCE))
def test_every_note_fits_the_evidence_field(key: str) -> None:
    assert 0 < len(EVIDENCE[key]) <= MAX_EVIDENCE


def test_the_seed_is_called_advice_not_a_study() -> None:
    assert "not a study" in SEED
    seed_notes = [k for k, v in EVIDENCE.items() if SEED in v]
    assert len(seed_notes) >= 10


@pytest.mark.parametrize("key", sorted(k for k, v in EVIDENCE.items() if "Silbernagel" in v))
def test_the_pain_monitoring_trial_is_said_to_be_about_the_achilles(key: str) -> None:
    note = EVIDENCE[key]
    assert "Achilles tendinopathy" in note
    assert "by analogy" in note
    assert "38 people" in note


@pytest.mark.parametrize("key", sorted(k for k, v in EVIDENCE.items() if "hazard" in v))
def test_a_hazard_ratio_comes_with_its_interval(key: str) -> None:
    note = EVIDENCE[key]
    assert re.search(r"hazard (?:rate )?ratio \d\.\d\d, 95% CI \d\.\d\d to \d\.\d\d", note), note


def test_the_cohort_figures_are_the_papers() -> None:
    single = EVIDENCE["single_run"]
    assert "5,205 adult runners" in single
    assert "1.64, 95% CI 1.31 to 2.05" in single and "2.28 (1.50 to 3.48)" in single
    assert "not proof of cause" in single
    two_week = EVIDENCE["two_week"]
    assert "874 novice runners" in two_week and "1.59, 95% CI 0.96 to 2.66" in two_week
    assert "includes no effect" in two_week
    weekly = EVIDENCE["weekly"]
    assert "532 novice runners" in weekly and "20.8% vs 20.3%" in weekly


def test_the_soreness_ceiling_is_the_plan_constant() -> None:
    assert f"pain at or under {SESSION_PAIN_MAX}/10" in EVIDENCE["return_plan"]
    assert "soldiers with overuse knee injuries" in EVIDENCE["return_plan"]
