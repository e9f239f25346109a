"""The Textual application. Only this package (and the CLI) may import textual or rich."""
