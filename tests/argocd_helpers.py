"""Argo CD manifests the tests share."""

# A Helm Application configured by Argo CD Image Updater's legacy annotations, writing back to
# git: its override file is `charts/web/.argocd-source-web.yaml`.
WEB_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web={registry}/argo-e2e/web:~1
    argocd-image-updater.argoproj.io/write-back-method: git
spec:
  source:
    repoURL: {repo_url}
    path: charts/web
    helm: {{valueFiles: [values.yaml]}}
"""
