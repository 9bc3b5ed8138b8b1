"""The OpenAPI contract, fuzzed: no request makes the service fail (5xx) or answer outside its own schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import seed
from tests.databases import new_database

_db = None


def _app():
    import tempfile
    from pathlib import Path

    global _db
    folder = Path(tempfile.mkdtemp(prefix="carbon-fuzz-"))
    _db = new_database(folder, "fuzz")
    tokens = seed(_db)
    app = create_app(Settings(db=_db, scheduler=False, max_upload_mb=1))
    app.state.fuzz_token = tokens["admin"]
    return app


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# One test per operation, each with its own id, so that parallel workers share them out.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_api_contract(operation: schemathesis.APIOperation, data: st.DataObject) -> None:
    case = data.draw(operation.as_strategy())
    if case.operation.path == "/v1/jobs/{name}/run":
        case.path_parameters = {"name": "no_such_job"}  # running real jobs is tested elsewhere
    case.call_and_validate(headers={"Authorization": f"Bearer {APP.state.fuzz_token}"},
                           excluded_checks=[negative_data_rejection, positive_data_acceptance])
