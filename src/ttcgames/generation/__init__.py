"""Generation: engines (imported lazily by name), model weights, and the sharded resumable runner
(stage "generation", workflow/rules/generation.smk).

Entry point for the workflow: ``run_generation`` (see ``ttcgames.generation.runner``); ``gpu``
checks the driver and gives each GPU job its own device. Reads ``results/data/{dataset}.jsonl`` and
the model (``results/models/{model}/`` or the hub cache); writes
``results/generations/{dataset}/{provider}.jsonl`` with its resumable ``.shards/``.
Importing this package does not import torch; only loading an engine does.
"""

from ttcgames.generation.base import ENGINES, Engine, Sample, load_engine
from ttcgames.generation.models import prepare_model
from ttcgames.generation.runner import run_generation, shard_seed

__all__ = ["Engine", "Sample", "ENGINES", "load_engine", "prepare_model", "run_generation", "shard_seed"]
