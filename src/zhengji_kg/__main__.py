"""``python -m zhengji_kg`` is the ``zhengji-kg`` command."""

from .cli import main

if __name__ == "__main__":
    main()
