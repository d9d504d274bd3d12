"""The audit log: who changed what the shop serves, and when (promotions, rollbacks, trainings, API keys), and who
revealed, exported or erased a customer's data."""
