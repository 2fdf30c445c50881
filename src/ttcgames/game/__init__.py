"""The market engine of the paper (Sections 2-4): the market table (``market``), market shares
(``shares``), utilities and welfare (``payoffs``), the potential (``potential``), better-response
dynamics (``dynamics``), every pure equilibrium (``equilibria``), the social optimum (``optimum``),
Theorems 2 and 4 (``theorems``), the reverse second-price auction (``auction``), share-weighted
outcomes (``outcomes``), one call per market (``analysis``) and the ``ttcgames`` command line (``cli``).

numpy only: importing it loads no torch, vLLM, Snakemake or pandas.

Stage "games" (workflow/rules/game.smk): reads ``results/markets/{dataset}/{method}.csv``; writes
``results/games/{dataset}/{method}.json``, ``.trajectory.csv`` and ``.sweep.csv``.
"""
