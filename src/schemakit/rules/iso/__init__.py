"""ISO: schema isolation, the heart of the guideline."""
