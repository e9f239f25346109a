"""The run lifecycle: claiming, executing, streaming, collecting, reconciling."""
