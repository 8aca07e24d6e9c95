"""Coverage judged with half widths calibrated on the other folds only."""

import pandas as pd
import pytest

from sacnn_dagster.evaluation.coverage import leave_one_fold_out_coverage


def test_each_fold_is_judged_with_the_other_folds_half_width():
    months = [f"{y}-{m:02d}" for y in (2020, 2021) for m in (1, 2)]
    predictions = pd.DataFrame(
        {"model": "a", "fold_year": [2020, 2020, 2021, 2021], "month": months, "estimate": 100.0}
    )
    # 2020's labels are off by 10 %, 2021's by 30 %: 2021 is judged with q = 0.1, 2020 with q = 0.3
    labels = pd.DataFrame(
        {
            "model": "a",
            "fold_year": [2020] * 10 + [2021] * 10,
            "observed": [110.0] * 10 + [130.0] * 10,
            "predicted": 100.0,
        }
    )
    truth = pd.Series([125.0, 75.0, 105.0, 120.0], index=months)
    table = leave_one_fold_out_coverage(predictions, labels, truth).set_index("model")
    # 2020: 125 and 75 within 100 -/+ 30; 2021: 105 within 100 -/+ 10, 120 not
    assert table.loc["a", "covered"] == 3 and table.loc["a", "months"] == 4
    assert table.loc["a", "coverage"] == pytest.approx(0.75)
    assert table.loc["a", "mean_half_width"] == pytest.approx(0.2)
