"""The privacy center: customers file their own GDPR requests and are kept informed."""
