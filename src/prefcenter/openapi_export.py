"""Export the app's OpenAPI document deterministically (the checked-in ``openapi/openapi.json``)."""

from __future__ import annotations

import json
import os
import tempfile


def export_openapi() -> str:
    from prefcenter.app import create_app
    from prefcenter.settings import Settings

    with tempfile.TemporaryDirectory() as var:
        env = {k: os.environ.get(k) for k in ("PREFCENTER_VAR_DIR", "PREFCENTER_DATABASE_URL")}
        os.environ["PREFCENTER_VAR_DIR"] = var
        os.environ.pop("PREFCENTER_DATABASE_URL", None)
        try:
            app = create_app(Settings.from_env())
        finally:
            for k, v in env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        schema = app.openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
