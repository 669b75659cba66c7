"""Sites: the company's web properties, each with the exact origins allowed to embed the widget and call the API."""
