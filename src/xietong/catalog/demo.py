"""The demo products and categories (org/demo.py runs the step)."""
