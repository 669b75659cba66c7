"""What the feedback area contributes: answers to CSAT, NPS and CES questions (API)."""

from prefcenter.area_declaration import Area
from prefcenter.feedback.routes import FeedbackController

AREA = Area(name="feedback", routes=[FeedbackController])
