"""The review loop against a running Label Studio server: push model output, pull corrections.

    bienphong ls push --model DIR INPUT... [--project NAME] [--limit N]
    bienphong ls pull [--project NAME] --output annotations/incoming/FILE.json

``plan`` plans pushes and summarises pulls (pure), ``compatibility`` compares a
project's labeling config with the schema, ``client`` talks to the server, and
``commands`` holds the two commands and their argparse wiring.
"""

from inference.review.client import Connection, Server, connection
from inference.review.commands import add_commands, pull, push

__all__ = ["Connection", "Server", "add_commands", "connection", "pull", "push"]
