"""Model adapters (one module per model type) and the log reading they share."""
