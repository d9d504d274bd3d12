"""The console's overview: how big the shop is, what happened in the last day, and what is live."""
