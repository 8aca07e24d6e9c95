"""From a monthly estimate to the pixel grid: the estimate spread over industrial light, adding up. No Dagster."""
