"""``python -m zhengji_kg`` is the ``zhengji-kg`` command."""

from zhengji_kg.cli import run

if __name__ == "__main__":
    run()
