"""``python -m govdata_ld``: the same as the ``govdata-ld`` command."""

from .cli import main

if __name__ == "__main__":
    main()
