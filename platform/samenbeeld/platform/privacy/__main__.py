"""``python -m samenbeeld.platform.privacy``: build deduce's lookup structures at install time."""

from samenbeeld.platform.privacy.names import build_lookup_structures

if __name__ == "__main__":
    build_lookup_structures()
