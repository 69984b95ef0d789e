"""Configuration: the settings file, shipped data, environment layering and validation."""
