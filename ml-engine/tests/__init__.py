"""Tests of the orcha-ml sidecar."""
