"""region.yaml's `checks:` thresholds: read, validated with errors naming the file and key, and handed to
the checks (their descriptions in the UI and their verdicts)."""

import pytest
import yaml

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.evaluation.checks import HELDOUT_R2
from sacnn_dagster.defs.features.checks import FACTORY_COUNT
from sacnn_dagster.quality.factories import FactorySet, factory_count_change
from sacnn_dagster.quality.model import heldout_r2

from . import write_region


def region_with(tmp_path, **settings):
    write_region(tmp_path, yaml.safe_dump({"name": "somewhere", "start": "2020-01", **settings}))
    return load_region(tmp_path)


def test_without_checks_the_defaults_apply(tmp_path):
    assert region_with(tmp_path).checks == Limits()


def test_a_region_sets_its_own_thresholds_and_the_checks_use_them(tmp_path):
    limits = region_with(
        tmp_path, checks={"r2_floor": 0.5, "max_factory_count_change": 0.6, "estimate_band": [0.3, 3]}
    ).checks
    assert limits == Limits(r2_floor=0.5, max_factory_count_change=0.6, estimate_band=(0.3, 3.0))
    assert "at least 0.5 on every split" in HELDOUT_R2.spec(limits).description
    assert "at most 60%" in FACTORY_COUNT.spec(limits).description
    models = {"sacnn": {"time": {"r2": 0.55, "n_test": 12}}}
    assert heldout_r2(models, limits).passed and not heldout_r2(models).passed
    before = FactorySet("2020-01", "2020-01", frozenset(map(str, range(100))))
    after = FactorySet("2020-02", "2020-02", frozenset(map(str, range(150))))
    assert factory_count_change(after, before, limits).passed
    assert not factory_count_change(after, before).passed


@pytest.mark.parametrize(
    ("checks_value", "message"),
    [
        ({"r2_flor": 0.5}, "unknown key(s) r2_flor"),
        ({"r2_floor": "high"}, "r2_floor must be a number up to 1"),
        ({"r2_floor": 1.5}, "r2_floor must be a number up to 1"),
        ({"estimate_band": [2, 0.5]}, "estimate_band must be [low, high] with 0 < low < 1 < high"),
        ({"min_share_observed": -0.1}, "min_share_observed must be a non-negative share"),
        ([0.5], "checks must be a mapping"),
    ],
)
def test_bad_thresholds_are_named_with_the_file(tmp_path, checks_value, message):
    with pytest.raises(ValueError, match="region.yaml: checks") as error:
        region_with(tmp_path, checks=checks_value)
    assert message in str(error.value)
