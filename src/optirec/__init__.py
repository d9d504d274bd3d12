"""optirec: personalized recommendations for shops whose products must fit the customer."""

__version__ = "0.1.0"
