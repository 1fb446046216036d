//go:build tools

// Package tools pins the commands build.sh builds, so `go mod tidy` keeps their dependencies.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
