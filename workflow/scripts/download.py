"""Download stage: fetch one hub repository into the Hugging Face cache and write its marker."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.data.downloads import fetch, write_marker  # noqa: E402

marker = fetch(snakemake.params.repo, snakemake.params.revision)
write_marker(snakemake.output.marker, marker)
log.info("%s at %s (%s files, %s bytes)", marker["repo"], marker["path"], marker.get("files"), marker.get("bytes"))
