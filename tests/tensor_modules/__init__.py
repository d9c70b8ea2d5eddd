"""Modules under test that take and return tensors (``--arrays torch|jax``)."""
