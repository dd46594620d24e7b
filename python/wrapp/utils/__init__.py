"""Helpers of the wrapp Python API: errors, hashing, progress reports, storage access."""
