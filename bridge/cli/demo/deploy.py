"""What the seed's deploy stages would create, for sandboxes that do not execute ``kubectl``.

The seed's Jenkinsfile runs ``envsubst < deploy/<stage>/devops-sample.yaml | kubectl apply -f -`` with the
kubeconfig bound from the project's folder credential. The sandbox Jenkins only traces ``sh`` steps, so the
demo (and the seed story test) applies the Deployments those manifests describe itself, with the same
kubeconfig the run was given: with ``scoped`` credentials, the project's own short-lived token deploys.

The manifests are those of ``kubesphere/devops-maven-sample``: ``ks-sample-dev`` (one replica, container
``ks-sample``) in ``kubesphere-sample-dev`` and ``ks-sample`` (two replicas, container ``ks``) in
``kubesphere-sample-prod``, both running ``$REGISTRY/$DOCKERHUB_NAMESPACE/$APP_NAME:SNAPSHOT-$BRANCH_NAME-
$BUILD_NUMBER``. Only the Deployments are made (their Services' fixed node ports would collide).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bridge.adapters.kube.reachability import api_client_for

#: The seed's environment block.
REPOSITORY = "docker.io/shaowenchen/devops-maven-sample"
DEV_NAMESPACE, PROD_NAMESPACE = "kubesphere-sample-dev", "kubesphere-sample-prod"


@dataclass(frozen=True)
class SeedManifest:
    """One deploy stage's Deployment."""

    name: str
    container: str
    namespace: str
    replicas: int

    def body(self, image: str) -> k8s.V1Deployment:
        labels = {"app": "kubesphere", "component": self.name, "tier": "backend"}
        container = k8s.V1Container(
            name=self.container,
            image=image,
            image_pull_policy="Always",
            ports=[k8s.V1ContainerPort(container_port=8080, protocol="TCP")],
        )
        return k8s.V1Deployment(
            api_version="apps/v1",
            kind="Deployment",
            metadata=k8s.V1ObjectMeta(name=self.name, namespace=self.namespace, labels=labels),
            spec=k8s.V1DeploymentSpec(
                replicas=self.replicas,
                selector=k8s.V1LabelSelector(match_labels=labels),
                template=k8s.V1PodTemplateSpec(
                    metadata=k8s.V1ObjectMeta(labels=labels), spec=k8s.V1PodSpec(containers=[container])
                ),
            ),
        )


DEV = SeedManifest("ks-sample-dev", "ks-sample", DEV_NAMESPACE, 1)
PROD = SeedManifest("ks-sample", "ks", PROD_NAMESPACE, 2)
#: Each deploy stage of the seed: the folder credential its ``kubeconfigFile`` binds (the seed's
#: ``*_KUBECONFIG_CREDENTIAL_ID``) and the Deployment its manifest creates.
DEPLOYS = {
    "deploy to dev": ("rohan", DEV),
    "deploy to staging": ("gondor", PROD),
    "deploy to production": ("shire", PROD),
}


def seed_image(build: int, branch: str = "master") -> str:
    """The image the seed's build pushes: ``SNAPSHOT-$BRANCH_NAME-$BUILD_NUMBER``."""
    return f"{REPOSITORY}:SNAPSHOT-{branch}-{build}"


def apply(kubeconfig: str, manifest: SeedManifest, image: str) -> str:
    """``kubectl apply`` of the Deployment with ``kubeconfig``: created, or its image changed when it
    exists. Returns ``created`` or ``configured`` as kubectl prints; an :class:`ApiException` (e.g. 403
    outside the credential's namespaces) propagates."""
    with api_client_for(kubeconfig) as api:
        apps = k8s.AppsV1Api(api)
        try:
            apps.create_namespaced_deployment(manifest.namespace, manifest.body(image))
            return "created"
        except ApiException as e:
            if e.status != 409:
                raise
        patch = {
            "spec": {"template": {"spec": {"containers": [{"name": manifest.container, "image": image}]}}}
        }
        apps.patch_namespaced_deployment(manifest.name, manifest.namespace, patch)
        return "configured"
