"""``python -m carbon.cli`` runs the ``carbon`` command."""

from carbon.cli import main

main()
