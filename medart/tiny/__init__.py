"""The offline profile: tiny models of the real classes, their tokenizers, the pixel describer, the synthetic data and
the tiny base."""
