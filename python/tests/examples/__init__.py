"""The reference's example programs (wrapp-python-api.txt), run by test_examples.py as
``python -m examples.<name>`` from python/tests, so that example_complex's relative import
``from .create_new_version import create_new_version`` works. The examples are the reference's text
unchanged, apart from the locations (local folders from argv and HOST_URL) and, in example_complex,
its two ``omni.client`` lines and their import, which have no counterpart here.
"""
