"""Implementation of `n2s_lite.synthesizer`: controls, rendering, torch log-mel, fitting, decoder."""
