"""Certificates for a passed module: a verification code that carries its own proof, and the image."""
