"""Indicators: energy intensity against its target path, CO2 and its peak, decomposition of the change."""
