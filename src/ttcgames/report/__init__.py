"""Table 2, the figures and the comparison with the published numbers (stage "report",
workflow/rules/report.smk and the comparison rule of workflow/rules/traces.smk).

``tables`` writes ``results/tables/table2.{csv,md,tex}`` from the games JSON and uncertainty
summaries; ``figures`` the PNG/PDF figures in ``results/figures/``; ``compare`` writes
``results/compare/published.{csv,md}``.
"""
