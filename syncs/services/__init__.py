"""Write services of the syncs app, one module per job (runs, pull, change sets)."""
