"""Send GOV.UK Notify emails from Django through a transactional outbox."""

__version__ = "0.1.0"
