"""Screens of the cosmos-tui application."""
