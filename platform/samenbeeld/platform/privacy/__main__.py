"""``python -m samenbeeld.platform.privacy``: build deduce's lookup structures at install time."""

from samenbeeld.platform.privacy import warm_up

if __name__ == "__main__":
    warm_up()
