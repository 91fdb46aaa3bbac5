"""Commission models (rates, reps, lines)."""
