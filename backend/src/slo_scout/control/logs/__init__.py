"""Error log templates as a product surface: per service and journey, new against a baseline."""
