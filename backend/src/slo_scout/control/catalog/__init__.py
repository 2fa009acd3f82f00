"""Teams, services and environments, and which of them a caller may see."""
