"""``python -m jinpai.cli``: the command line without its installed script."""

from jinpai.cli import app

app()
