"""The secrets for remote sources and S3, as a Dagster resource."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import create_model

from sacnn_dagster.io.credentials import ENV_VARS, Credentials


class _CredentialsMethods(dg.ConfigurableResource):
    """What CredentialsResource does; its fields are declared below, from the list of secrets."""

    @classmethod
    def from_environment(cls) -> CredentialsResource:
        """An `EnvVar` for every documented variable that is set (see io/credentials.py)."""
        return cls(**{field: dg.EnvVar(var) for field, var in ENV_VARS.items() if os.environ.get(var)})

    def credentials(self) -> Credentials:
        # Outside a run (cli/run.py asks the region for its months before launching runs) Dagster has not
        # resolved the EnvVars yet: resolve them here, or the variable's *name* would be sent as the secret.
        values = {field: getattr(self, field) for field in ENV_VARS}
        return Credentials(**{f: v.get_value() if isinstance(v, dg.EnvVar) else v for f, v in values.items()})


#: One optional string field per secret that io/credentials.py knows (its `ENV_VARS`), declared from that
#: list rather than written out a second time, so that a secret added there is configurable here too.
CredentialsResource = create_model(
    "CredentialsResource",
    __base__=_CredentialsMethods,
    __module__=__name__,
    __doc__="""Secrets for remote sources and S3. Set them only as `EnvVar`s (see `from_environment`): Dagster then
    keeps the values out of run config and the UI.""",
    **{field: (str | None, None) for field in ENV_VARS},
)
