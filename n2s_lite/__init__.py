"""n2s-lite: neural-driven speech reconstruction by transfer learning, small and reproducible.

Phase 1 pre-trains a speech autoencoder on ordinary speech; phase 2 freezes its decoder and trains a
lightweight adaptor from high-gamma ECoG onto its latent. See README.md for the tour.
"""
__version__ = "0.1.0"
