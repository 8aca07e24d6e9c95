"""Automation: what the sensors and the schedule share (settings, run tags, questions to the instance, run
requests, the watch kept between ticks), the chain of run-status sensors that carries each change
downstream, and the monthly safety net. The sensors that watch inputs live with their domains
(sources/sensors.py, features/sensors.py); the decisions are in versioning/source_scan.py.

What starts what (every run an automation launches says why in its `sacnn/reason` tag):

    nightlight_sensor   a composite appears or is reprocessed -> monthly_features for those months
    poi_sensor          a POI snapshot is new or revised      -> factories and factory_patches of the months
                                                                 it now applies to
    statistics_sensor   the statistics file's content changed -> retrain_model (gvio_statistics, gvio_model)
    estimate_updated_months   monthly_features succeeded      -> monthly_outputs for the same months
    estimate_after_retraining retrain_model succeeded         -> monthly_outputs for every month not yet
                                                                 estimated by the new model version
    evaluate_after_estimates  all those succeeded             -> evaluate_model
    monthly_catch_up (schedule) what the sensors may have missed (a failed run, sensors off)

Months that change together are requested as one run per contiguous stretch (a partition-range run; the
assets have single-run backfill policies): a run costs several seconds of Dagster overhead on a small
machine, so the first look at a decade of composites is one run, not a hundred and eight.
"""
