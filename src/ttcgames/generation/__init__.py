"""Generation: engines (imported lazily by name), model weights, and the sharded resumable runner.

Entry point for the workflow: ``run_generation`` (see ``ttcgames.generation.runner``).
Importing this package does not import torch; only loading an engine does.
"""

from ttcgames.generation.base import ENGINES, Engine, Sample, load_engine
from ttcgames.generation.models import prepare_model
from ttcgames.generation.runner import run_generation, shard_seed

__all__ = ["Engine", "Sample", "ENGINES", "load_engine", "prepare_model", "run_generation", "shard_seed"]
