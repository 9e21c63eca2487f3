"""Source files into the FOCUS store: detection, staging, validation, loading."""
