"""What a rebuild shows on the terminal, and what only its logs keep.

The workflow's default profile (profiles/default/config.yaml, which Snakemake 9
reads for every run of this workflow) asks Snakemake to be quiet about rules: no
per-job listing. Snakemake applies `--quiet` to its run log as well; `brief`
gives the run log (.snakemake/log/) its full listing back and keeps off the
terminal what the closing block says better: the jobs' CalledProcessError
tracebacks, scheduler chatter, and the trailer after the verdict. What is left is
one line per finished step, any warning or error that is not a job's, and the
closing block, last. `snakemake --workflow-profile none` shows Snakemake's full
listing on the terminal.
"""

from __future__ import annotations

import logging

from snakemake_interface_logger_plugins.common import LogEvent

# Events the terminal does not show in brief mode (all are in the run log).
HIDDEN_EVENTS = {LogEvent.JOB_INFO, LogEvent.JOB_STARTED, LogEvent.JOB_FINISHED,
                 LogEvent.JOB_ERROR, LogEvent.GROUP_INFO, LogEvent.GROUP_ERROR,
                 LogEvent.SHELLCMD, LogEvent.RESOURCES_INFO, LogEvent.RUN_INFO}
# Messages that repeat what the closing block says, or say nothing to a reader.
HIDDEN_STARTS = (
    "Select jobs to execute", "Assuming unrestricted shared filesystem", "Using shell:",
    "Conda environments: ignored", "Shutting down, this might take some time",
    "Exiting because a job execution failed", "Complete log(s):", "Elapsed time:",
    "Cannot restore ", "Restored previous version of ", "RuleException:\nCalledProcessError",
    "WorkflowError:\nAt least one job did not complete successfully",
)


class BriefConsole(logging.Filter):
    """Lets through the records a reader of the terminal needs (see the module)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "event", None) in HIDDEN_EVENTS:
            return False
        message = record.getMessage() if record.msg is not None else ""
        return not message.startswith(HIDDEN_STARTS)


def _handlers(logger: logging.Logger, name: str) -> list[logging.Handler]:
    return [h for h in logger.handlers if h.name == name]


def brief(workflow) -> bool:
    """In a run quiet about rules (the default profile), give the run log its full
    listing back and keep the terminal brief. Returns whether it did."""
    from snakemake.logging import logger
    from snakemake.settings.enums import Quietness

    quiet = getattr(getattr(workflow, "output_settings", None), "quiet", None) or set()
    streams = _handlers(logger, "DefaultStreamHandler")
    if Quietness.RULES not in quiet or Quietness.ALL in quiet or not streams:
        return False
    for handler in _handlers(logger, "DefaultLogFileHandler"):
        for part in [*handler.filters, handler.formatter]:
            if hasattr(part, "quiet"):
                part.quiet = set()
    for handler in streams:
        handler.addFilter(BriefConsole())
    return True
