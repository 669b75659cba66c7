"""Web pages and assets: the widget bundle, the demo page, the hosted preference and confirm pages."""
