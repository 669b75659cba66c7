"""What the audit area contributes: the audit log and a subject's events (API)."""

from prefcenter.area_declaration import Area
from prefcenter.audit.routes import AuditController, SubjectEventsController

AREA = Area(name="audit", routes=[SubjectEventsController, AuditController])
