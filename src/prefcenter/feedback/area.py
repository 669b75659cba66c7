"""What the feedback area contributes: answers to CSAT, NPS and CES questions (API)."""

from prefcenter.area_declaration import Area

AREA = Area(name="feedback", routes=["prefcenter.feedback.routes:FeedbackController"])
