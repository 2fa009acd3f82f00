"""Bands, anomalies and error-budget forecasts over the stored journey statistics."""
