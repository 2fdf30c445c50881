"""Market tables (stage "markets", workflow/rules/markets.smk): ``build`` gathers the providers'
curves and prices into ``results/markets/{dataset}/{method}.csv``.
"""
