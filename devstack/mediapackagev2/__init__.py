"""MediaPackage v2 (``mediapackagev2``): the API (:mod:`.service`), what origin endpoints serve and
harvests write (:mod:`.origin`), and harvest jobs (:mod:`.harvest`)."""

from devstack.mediapackagev2.harvest import HarvestJob, HarvestRunner
from devstack.mediapackagev2.service import MediaPackageV2

__all__ = ["HarvestJob", "HarvestRunner", "MediaPackageV2"]
