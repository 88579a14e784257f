"""The demo pipeline: processes per BU and a realistic set of opportunities (org/demo.py runs the step)."""
