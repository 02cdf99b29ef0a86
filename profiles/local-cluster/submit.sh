#!/usr/bin/env bash
# Stand-in for sbatch/qsub: start the job script as its own process, detached from
# Snakemake, and print a job id. The job script reports success or failure through
# the marker files Snakemake's generic cluster executor watches. Set
# GREENAUDIT_SUBMIT_LOG to a file to record each submission (job id and script).
set -euo pipefail
jobscript="$1"
nohup bash "$jobscript" > "$jobscript.log" 2>&1 < /dev/null &
if [ -n "${GREENAUDIT_SUBMIT_LOG:-}" ]; then
    echo "$! $(basename "$jobscript")" >> "$GREENAUDIT_SUBMIT_LOG"
fi
echo "$!"
