"""NAM: naming conventions, after the guideline's Naming Conventions tables."""
