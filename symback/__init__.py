"""symback: exact, step-by-step backpropagation for exercise sheets."""
