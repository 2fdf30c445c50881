"""Questions, prompts and downloads (stage "data", workflow/rules/data.smk).

``datasets`` loads the benchmarks (GSM8K, GPQA, AIME from the hub or a local file, and the
self-generated arithmetic set of the embedded default) and writes ``results/data/{dataset}.jsonl``;
``prompts`` holds the prompt styles; ``downloads`` fetches hub models, ArmoRM and datasets once on
the login node (``results/downloads/`` markers) so that GPU jobs run offline.
"""
