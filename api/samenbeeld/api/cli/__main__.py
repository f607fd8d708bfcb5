"""``python -m samenbeeld.api.cli``: the same command line as the ``samenbeeld`` script."""

from samenbeeld.api.cli import main

main()
