"""Password resets: a model that keeps the email it sent, and the view."""
