"""Import of the paper's released generation traces (stage "traces", workflow/rules/traces.smk).

``importer`` reads one trace file per (dataset, provider) from the hub dataset or a local folder
and writes ``results/generations/{dataset}/{provider}.jsonl``, ``results/grades/...csv``,
``results/rewards/...csv`` and ``results/traces/{dataset}/{provider}.report.json`` plus
``results/traces/import_summary.csv``; everything after them is the shared pipeline.
"""
