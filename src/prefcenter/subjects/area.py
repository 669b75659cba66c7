"""What the subjects area contributes: the subjects API."""

from prefcenter.area_declaration import Area

AREA = Area(name="subjects", routes=["prefcenter.subjects.routes:SubjectController"])
