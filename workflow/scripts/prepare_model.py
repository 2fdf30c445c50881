"""Model stage: the local float32 copy of an embedded GGUF model, built once for all its providers."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.generation import prepare_model  # noqa: E402

path = prepare_model(dict(snakemake.params.model), snakemake.output[0])
log.info("model ready at %s", path)
