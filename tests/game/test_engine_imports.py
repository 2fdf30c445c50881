import subprocess
import sys


def test_engine_and_cli_import_without_torch_vllm_snakemake_or_pandas():
    code = (
        "import sys, ttcgames.game, ttcgames.game.cli, ttcgames.game.market, ttcgames.game.auction,"
        " ttcgames.game.analysis, ttcgames.game.equilibria, ttcgames.game.optimum\n"
        "heavy = [m for m in ('torch', 'vllm', 'snakemake', 'pandas', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
