"""Accuracy and token curves (stage "curves", workflow/rules/curves.smk).

``exact`` reads the sample tables and computes exact expectations over theta-subsets (majority vote,
best-of-n); ``estimators`` chooses between them and the reference's random subsamples and writes the
curve files; ``reasoning`` bins reasoning models' samples by effort; ``bootstrap`` holds the seeded
bootstrap over questions. Reads generations, grades and rewards; writes
``results/curves/{dataset}/{method}/{provider}.csv`` and ``{provider}.questions.csv``.
"""
