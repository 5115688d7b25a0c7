"""Relevance: features, the learned model, thresholds, sections and the reasons why (pure), the scoring that
ties them together, and the store of the model and the stream of judged papers."""
