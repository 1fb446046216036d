"""Tests of the kube test harness itself: real apiservers, kubectl, tokens and the Helm chart."""
