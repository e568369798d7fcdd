#!/usr/bin/env python3
"""Generates fixtures/charts/install-order: a chart with every kind of Helm's install order (written
in reverse and spread over several files), unknown kinds, hooks (one with an unknown event), a
comment-only document, empty documents and a subchart. Its templates contain no template syntax, so
helm and chartsmith render the same source and their outputs must be identical."""
import pathlib, shutil

INSTALL_ORDER = """PriorityClass Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy
PodDisruptionBudget ServiceAccount Secret SecretList ConfigMap StorageClass PersistentVolume
PersistentVolumeClaim CustomResourceDefinition ClusterRole ClusterRoleList ClusterRoleBinding
ClusterRoleBindingList Role RoleList RoleBinding RoleBindingList Service DaemonSet Pod
ReplicationController ReplicaSet Deployment HorizontalPodAutoscaler StatefulSet Job CronJob
IngressClass Ingress APIService MutatingWebhookConfiguration ValidatingWebhookConfiguration""".split()

root = pathlib.Path(__file__).resolve().parent.parent / "fixtures/charts/install-order"
shutil.rmtree(root, ignore_errors=True)
(root / "templates").mkdir(parents=True)
(root / "charts/sub/templates").mkdir(parents=True)
(root / "Chart.yaml").write_text("apiVersion: v2\nname: install-order\nversion: 0.1.0\n")
(root / "charts/sub/Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")

def doc(kind, name, annotations=None):
    text = f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
    if annotations:
        text += "  annotations:\n" + "".join(f'    {k}: "{v}"\n' for k, v in annotations.items())
    return text

kinds = list(reversed(INSTALL_ORDER))
files = {"templates/z-first-half.yaml": kinds[::2], "templates/a-second-half.yaml": kinds[1::2]}
for path, ks in files.items():
    (root / path).write_text("---\n".join(doc(k, f"{k.lower()}-{path.split('/')[1][0]}") for k in ks))
(root / "templates/unknown.yaml").write_text(
    "\n---\n".join([doc("Zebra", "z"), doc("Alpha", "a"), doc("Service", "svc-u"), doc("Alpha", "a2")])
    + "\n---\n\n---\n# only a comment\n---\n")
(root / "templates/hooks.yaml").write_text("---\n".join([
    doc("Job", "post", {"helm.sh/hook": "post-install", "helm.sh/hook-weight": "5"}),
    doc("ConfigMap", "pre", {"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5"}),
    doc("Job", "unknown-event", {"helm.sh/hook": "pre-nothing"}),
    doc("Pod", "test", {"helm.sh/hook": "test"}),
]))
(root / "templates/_partial.tpl").write_text("# a partial: never rendered\n")
(root / "templates/empty.yaml").write_text("\n\n")
(root / "crds").mkdir()
(root / "crds/widgets.yaml").write_text(
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n# {{ not a template: CRDs are never rendered }}\n")
(root / "charts/sub/crds").mkdir()
(root / "charts/sub/crds/gadgets.yaml").write_text(
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.example.com\n")
(root / "charts/sub/templates/deployment.yaml").write_text(doc("Deployment", "sub-deploy") + "---\n" + doc("Namespace", "sub-ns"))
