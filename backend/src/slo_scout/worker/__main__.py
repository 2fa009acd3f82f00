"""``python -m slo_scout.worker``: the same as ``slo-scout worker``."""

from slo_scout.cli.worker import worker_command

if __name__ == "__main__":
    import typer

    typer.run(worker_command)
