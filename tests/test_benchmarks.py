"""Quality regressions on data nobody here wrote (pyserini-style): the CMRC 2018 trial slice (64
contexts, to keep the suite short) is imported, built and scored, and the watched scores must stay
within 0.02 of bench/expected.json."""
import json
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import bench_cmrc  # noqa: E402

@pytest.fixture(scope="module")
def trial_scores(tmp_path_factory, model_cache):
    return bench_cmrc.run("trial", 64, ["hybrid"], tmp_path_factory.mktemp("cmrc"), {"cache": model_cache})


def test_cmrc_trial_scores_hold(trial_scores):
    assert bench_cmrc.regressions("cmrc2018-trial-64", trial_scores) == []


def test_a_higher_expectation_is_reported_as_a_regression(trial_scores):
    expected = json.loads(bench_cmrc.EXPECTED.read_text("utf-8"))
    raised = {"cmrc2018-trial-64": {"hybrid": {m: trial_scores["hybrid"][m] + 0.03 for m in bench_cmrc.WATCHED}}}
    assert len(bench_cmrc.regressions("cmrc2018-trial-64", trial_scores, raised)) == 2
    assert "cmrc2018-trial-64" in expected
