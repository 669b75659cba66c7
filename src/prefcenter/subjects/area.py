"""What the subjects area contributes: the subjects API."""

from prefcenter.area_declaration import Area
from prefcenter.subjects.routes import SubjectController

AREA = Area(name="subjects", routes=[SubjectController])
