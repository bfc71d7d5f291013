"""TYP: column types the guideline prescribes."""
