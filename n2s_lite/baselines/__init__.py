"""Direct decoding baselines trained from scratch on the neural data (no pre-trained speech model)."""
from .neural import LSTMCNNRegressor, MLPRegressor, train_baseline
from .ridge import LaggedRidge, RidgeDecoder

__all__ = ["LaggedRidge", "RidgeDecoder", "MLPRegressor", "LSTMCNNRegressor", "train_baseline"]
