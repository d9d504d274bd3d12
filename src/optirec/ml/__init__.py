"""Recommendation models: data, baselines, our sequence model, ranking blend, artifacts and offline evaluation."""
