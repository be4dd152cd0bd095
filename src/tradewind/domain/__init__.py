"""Pure trading rules. Imports only the standard library, numpy and itself."""
