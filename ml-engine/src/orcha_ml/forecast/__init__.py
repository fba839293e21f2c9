"""Forecasting: baselines, the LSTM, the rolling-origin backtest and the model selector."""
