"""Password hashing (Argon2id, argon2-cffi)."""
