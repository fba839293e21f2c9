"""ML engine sidecar of DePIN Orcha: forecasts, allocation and anomaly detection over HTTP."""

__version__ = "0.1.0"
