"""Flight software. Imports only ``surefoot.config`` and ``surefoot.math``: it never sees truth."""
