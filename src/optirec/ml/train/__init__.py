"""Training: the data, the user sequences, the training loop and the fit step production training calls."""
