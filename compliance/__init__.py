"""compliance: compliance-as-code checks for deployment configuration."""

__version__ = "0.1.0"
