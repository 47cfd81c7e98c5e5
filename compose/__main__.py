"""``python -m compose``: the same as the ``compose`` command."""

from ._entry import main

if __name__ == "__main__":
    main()
