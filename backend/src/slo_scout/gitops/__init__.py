"""GitOps delivery: a bundle becomes a branch and a pull request in the team's repository.

The plan (paths, changes, the pull request's text) is the core's (``core.delivery``); this
runtime reads and writes repositories through one of three remotes with one contract
(``remote.Remote``): any git remote through the git CLI, GitHub's and GitLab's REST APIs.
"""
