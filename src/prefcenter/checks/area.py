"""What the checks area contributes: the consent-check API and ``prefcenter check``.

The lean path for GET /v1/consent-checks (``fast_path.py``) and the check worker processes are wired
by the app factory itself: they wrap the whole application rather than add routes."""

from prefcenter.area_declaration import Area
from prefcenter.checks.cli import register

AREA = Area(name="checks", routes=["prefcenter.checks.routes:ConsentCheckController"], cli=register)
