"""Template tags of bank transfers."""
