"""ringlog.viewer: the Flask web app that shows tasks, charts and media."""
