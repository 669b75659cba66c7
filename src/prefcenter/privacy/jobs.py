"""The privacy center's work for the job worker: keeping the person informed (receipt, extension,
completion) and shredding addresses whose time is up."""

from prefcenter.jobs.handlers import Sweep
from prefcenter.privacy.notices import sweep

SWEEPS = [Sweep("privacy.notices", sweep)]
