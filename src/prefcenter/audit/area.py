"""What the audit area contributes: the audit log and a subject's events (API)."""

from prefcenter.area_declaration import Area

AREA = Area(
    name="audit",
    routes=["prefcenter.audit.routes:SubjectEventsController", "prefcenter.audit.routes:AuditController"],
)
