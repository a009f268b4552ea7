"""One module per actor: its parameters, state arrays, kernel parts, adaptation and measures."""
