"""Write services of the customers app, one module per job (Fishbowl import, customer sync)."""
