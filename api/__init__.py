"""citybpm's REST API: the Flask app factory, blueprints, auth and CLI."""
