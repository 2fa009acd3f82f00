"""Delivery planning: where a bundle's files go in a team's repository, what changes, and the
pull request that proposes it. Pure: the gitops runtime reads and writes the repositories."""

from slo_scout.core.delivery.changes import Change, blob_id, changes, commit_message
from slo_scout.core.delivery.layout import (
    CONFIG_FILE,
    OUTPUTS,
    DeliveryConfig,
    Target,
    branch_name,
    expand,
    plan,
    read_config,
    services_in,
)
from slo_scout.core.delivery.pull_request import PullRequestText, render
from slo_scout.core.delivery.summary import SloSummary, summarize

__all__ = [
    "CONFIG_FILE", "OUTPUTS", "Change", "DeliveryConfig", "PullRequestText", "SloSummary",
    "Target", "blob_id", "branch_name", "changes", "commit_message", "expand", "plan",
    "read_config", "render", "services_in", "summarize",
]
