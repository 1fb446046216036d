"""The composition root's code-quality and workloads part (``bridge.bootstrap`` re-exports it): the
SonarQube client configured for the default Jenkins and the code-quality service over the run views;
the workloads of deploy targets read through the inventory's kubeconfigs, and the promotion history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.settings import Settings, reveal
from bridge.store import Store

if TYPE_CHECKING:
    from bridge.adapters.jenkins.connection import JenkinsConnection
    from bridge.services.codequality import CodeQualityService
    from bridge.services.runs import RunService
    from bridge.services.workloads import PromotionJob, WorkloadService


def build_code_quality(
    settings: Settings, runs: RunService, connection: JenkinsConnection
) -> CodeQualityService:
    """Analyses read from the default controller's builds; reports from its SonarQube (none configured:
    the views answer 404 saying so)."""
    from bridge.adapters.jenkins.client import JenkinsAdapter
    from bridge.adapters.jenkins.sonar import JenkinsAnalysisActions
    from bridge.adapters.sonar.client import SonarQubeClient
    from bridge.services.codequality import CodeQualityService

    jenkins = settings.jenkins
    sonar = (
        SonarQubeClient(
            jenkins.sonar_url,
            reveal(jenkins.sonar_token),
            timeout=jenkins.sonar_timeout,
            verify=jenkins.verify_tls,
        )
        if jenkins.sonar_url
        else None
    )
    return CodeQualityService(runs, JenkinsAnalysisActions(JenkinsAdapter(connection)), sonar)


def build_workloads(settings: Settings, store: Store) -> WorkloadService:
    """Workloads through each cluster's kubeconfig from the inventory (``clusters.probe_timeout``)."""
    from bridge.adapters.kube.workloads import KubeWorkloads
    from bridge.services.workloads import WorkloadService
    from bridge.store.clusters import ClusterCatalog
    from bridge.store.promotions import PromotionBook

    return WorkloadService(
        store,
        ClusterCatalog(store.engine, store.box),
        KubeWorkloads(timeout=settings.clusters.probe_timeout),
        PromotionBook(store),
    )


def build_promotion_job(settings: Settings, store: Store) -> PromotionJob:
    """The worker's promotion job over the same workloads service."""
    from bridge.services.workloads import PromotionJob

    return PromotionJob(build_workloads(settings, store))
