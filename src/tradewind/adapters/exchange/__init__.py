"""The venues, one package each, behind the Exchange port; see README.md here."""
