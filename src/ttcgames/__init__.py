"""ttcgames: test-time compute games (Velasco et al.), their equilibria, the social optimum and the auction.

The engine modules are pure numpy; nothing here imports torch, vLLM or Snakemake.
"""

__version__ = "0.1.0"
