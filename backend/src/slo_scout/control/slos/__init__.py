"""SLOs and their reviews: proposed, edited, approved or rejected, each step a revision."""
